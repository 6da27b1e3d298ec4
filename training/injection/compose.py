"""Composed texts: benign documents and tool results, benign instructions, hidden attack instructions.

Documents are what applications pass to a model besides the user's words: code files, configs,
e-mails, tables, JSON tool results, logs. They are built here from the benign corpora (code answers,
worked maths answers, role-play answers), our own sentences and random values, so that the model
sees many shapes of clean document; ``attack_instruction`` composes the instruction an attacker hides
in one. ``benign_instruction`` composes the system-prompt-like instructions users and applications
write (personas, output formats, RAG templates), which are not attacks.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable, Sequence
from pathlib import Path

import orjson

DATA = Path(__file__).resolve().parent / "data"

FIRST = ("Anna", "Ben", "Carla", "David", "Elif", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kofi", "Lena")
LAST = ("Meyer", "Okafor", "Rossi", "Tanaka", "Silva", "Novak", "Brown", "Dubois", "Kowalski", "Haddad")
CITIES = ("Lisbon", "Oslo", "Austin", "Nairobi", "Osaka", "Lyon", "Toronto", "Pune", "Leeds", "Graz")
PRODUCTS = ("widget", "license", "subscription", "laptop", "desk", "router", "headset", "monitor")


def slots(name: str) -> dict[str, list[str]]:
    """``[section]`` lists of a slot file in ``data/``."""
    out: dict[str, list[str]] = {}
    current = ""
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]") and " " not in line:
            current = line[1:-1]
            out[current] = []
        else:
            out[current].append(line)
    return out


# --- attack instructions ----------------------------------------------------------------------


def attack_instruction(rng: random.Random, parts: dict[str, list[str]]) -> str:
    """One composed indirect-injection instruction (addressee, override, action; some parts optional)."""
    action = rng.choice(parts["action"]).format(
        url=rng.choice(parts["url"]),
        email=rng.choice(parts["email"]),
        product=rng.choice(parts["product"]),
        phrase=rng.choice(parts["phrase"]),
        name=rng.choice(parts["name"]),
    )
    pieces = []
    if rng.random() < 0.75:
        pieces.append(rng.choice(parts["addressee"]))
    if rng.random() < 0.7:
        pieces.append(rng.choice(parts["override"]))
    pieces.append(action)
    text = " ".join(pieces)
    text = text[0].upper() + text[1:]
    if not text.endswith((".", "!", '"')):
        text += rng.choice((".", ".", "!", ""))
    if text.startswith("<!--"):
        text += " -->"
    return text


# Frames that open a hidden block and what closes it again.
_CLOSERS = {"<!--": " -->", "<span": "</span>", "<div": "</div>", "[//]: # (": ")", "/*": " */"}


def task_instruction(rng: random.Random, parts: dict[str, list[str]]) -> str:
    """An instruction that changes the reader's answer (``[task]``): bare, as a third-person document
    never phrases it, or behind a frame that addresses the model reading the document.

    Only ever hidden in documents: alone, "answer in Spanish" is an ordinary user request.
    """
    action = rng.choice(parts["task"]).format(
        url=rng.choice(parts["url"]),
        email=rng.choice(parts["email"]),
        product=rng.choice(parts["product"]),
        phrase=rng.choice(parts["phrase"]),
        name=rng.choice(parts["name"]),
    )
    roll = rng.random()
    if roll < 0.35:
        text = f"{rng.choice(parts['frame'])} {action}"
    elif roll < 0.5:
        text = f"{rng.choice(parts['addressee'])} {action}"
    elif roll < 0.6:
        text = f"Please {action}"
    else:
        text = action
    text = text[0].upper() + text[1:]
    if not text.endswith((".", "!", '"')):
        text += rng.choice((".", ".", "!", ""))
    for opener, closer in _CLOSERS.items():
        if text.startswith(opener):
            text += closer
    return text


# --- benign instructions ----------------------------------------------------------------------


def benign_instruction(rng: random.Random, parts: dict[str, list[str]], documents: Sequence[str]) -> str:
    """A system-prompt-like instruction as users paste or write it."""
    persona = rng.choice(parts["persona"])
    kind = rng.random()
    if kind < 0.4:
        opening = rng.choice(
            (
                f"You are {persona}.",
                f"You are {persona} that {rng.choice(parts['task'])}.",
                f"You're {persona} who {rng.choice(parts['task'])}.",
                f"Act as {persona}.",
                f"I want you to act as {persona}.",
                f"Imagine you are {persona}.",
                f"Pretend to be {persona} and help me.",
                f"As {persona}, {rng.choice(parts['task'])}.",
            )
        )
        details = rng.sample(parts["act_detail"], rng.randint(0, 2))
        rules = rng.sample(parts["rule"], rng.randint(0, 3))
        return " ".join([opening, *details, *rules])
    if kind < 0.6:
        return " ".join(rng.sample(parts["rule"], rng.randint(1, 3)))
    if kind < 0.78:
        return rng.choice(parts["task_prompt"])
    # a task prompt around a pasted document (RAG and "summarise this" requests)
    document = rng.choice(documents)[: rng.randint(200, 2500)]
    prompt = rng.choice(parts["task_prompt"])
    question = rng.choice(
        (
            "What is the total amount?",
            "Who sent this?",
            "When is the deadline?",
            "What does the function return?",
            "Which row has the highest value?",
            "What should I do next?",
        )
    )
    layout = rng.choice(
        (
            "{p}\n\n{d}",
            "{p}\n\nContext:\n{d}\n\nQuestion: {q}\nHelpful Answer:",
            "{d}\n\n{p}",
            '{p}\n"""\n{d}\n"""',
            "Context information is below.\n---------------------\n{d}\n---------------------\n{p} {q}",
        )
    )
    return layout.format(p=prompt, d=document, q=question)


# --- documents --------------------------------------------------------------------------------


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def _sentences(rng: random.Random, prose: Sequence[str], lo: int, hi: int) -> str:
    return " ".join(rng.sample(prose, rng.randint(lo, hi)))


def email(rng: random.Random, prose: Sequence[str], bodies: Sequence[str]) -> str:
    sender, recipient = _name(rng), _name(rng)
    subject = rng.choice(
        (
            "Quarterly review",
            "Invoice #" + str(rng.randint(1000, 9999)),
            "Re: meeting next week",
            "Your order",
            "Project update",
            "Travel plans",
            "Welcome to the team",
            "Fwd: contract draft",
            "Reminder",
        )
    )
    body_parts = [_sentences(rng, prose, 1, 4)]
    if bodies and rng.random() < 0.5:
        body_parts.append(rng.choice(bodies)[:800])
    body_parts.append(_sentences(rng, prose, 1, 3))
    body = "\n\n".join(body_parts)
    if rng.random() < 0.5:
        return (
            f"From: {sender} <{sender.split()[0].lower()}@example.com>\nTo: {recipient}\nSubject: {subject}\n\n"
            f"Hi {recipient.split()[0]},\n\n{body}\n\nBest regards,\n{sender}"
        )
    return f"SUBJECT: {subject}|CONTENT: Hi {recipient.split()[0]}, {body.replace(chr(10), ' ')} Thanks, {sender}"


def table(rng: random.Random) -> str:
    columns = rng.sample(
        [
            "Name",
            "City",
            "Year",
            "Revenue",
            "Units",
            "Price",
            "Region",
            "Status",
            "Score",
            "Date",
            "Team",
            "Share",
        ],
        rng.randint(3, 6),
    )

    def cell(column: str) -> str:
        values: dict[str, Callable[[], str]] = {
            "Name": lambda: _name(rng),
            "City": lambda: rng.choice(CITIES),
            "Year": lambda: str(rng.randint(1990, 2024)),
            "Revenue": lambda: f"${rng.randint(1, 900)},{rng.randint(100, 999)}",
            "Units": lambda: str(rng.randint(1, 5000)),
            "Price": lambda: f"{rng.uniform(1, 500):.2f}",
            "Region": lambda: rng.choice(("North", "South", "EMEA", "APAC", "West")),
            "Status": lambda: rng.choice(("open", "closed", "pending", "shipped")),
            "Score": lambda: str(rng.randint(0, 100)),
            "Date": lambda: f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "Team": lambda: rng.choice(("Lions", "Hawks", "Comets", "Rovers")),
            "Share": lambda: f"{rng.uniform(0, 100):.2f}%",
        }
        return values[column]()

    rows = [[cell(c) for c in columns] for _ in range(rng.randint(3, 18))]
    if rng.random() < 0.6:
        lines = ["| " + " | ".join(columns) + " |"]
        if rng.random() < 0.5:
            lines.append("|" + "|".join("---" for _ in columns) + "|")
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)
    return "\n".join([",".join(columns)] + [",".join(r) for r in rows])


def config(rng: random.Random) -> str:
    service = rng.choice(("api", "worker", "web", "billing", "search"))
    port = rng.randint(1024, 9999)
    kind = rng.randrange(5)
    if kind == 0:
        return (
            f"# {service} settings\nserver:\n  host: 0.0.0.0\n  port: {port}\n  workers: {rng.randint(1, 16)}\n"
            f"database:\n  url: postgresql://{service}@db:5432/{service}\n  pool_size: {rng.randint(5, 50)}\n"
            f"logging:\n  level: {rng.choice(('INFO', 'DEBUG', 'WARNING'))}\n  format: json\n"
            f"features:\n  - search\n  - export\n  - {rng.choice(('beta_ui', 'audit', 'sso'))}\n"
        )
    if kind == 1:
        return (
            f"[{service}]\nport = {port}\ntimeout = {rng.randint(1, 120)}\nretries = {rng.randint(0, 5)}\n\n"
            f"[cache]\nbackend = redis\nttl = {rng.randint(60, 86400)}\n\n[paths]\ndata = /var/lib/{service}\n"
        )
    if kind == 2:
        return orjson.dumps(
            {
                "name": f"@acme/{service}",
                "version": f"{rng.randint(0, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}",
                "scripts": {"build": "tsc -p .", "test": "vitest run", "lint": "eslint src"},
                "dependencies": {"express": "^4.19.2", "zod": "^3.23.8"},
            },
            option=orjson.OPT_INDENT_2,
        ).decode()
    if kind == 3:
        return (
            f"FROM python:3.11-slim\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
            f'COPY . .\nEXPOSE {port}\nCMD ["gunicorn", "-b", "0.0.0.0:{port}", "{service}:app"]\n'
        )
    return (
        f'[tool.poetry]\nname = "{service}"\nversion = "0.{rng.randint(1, 9)}.0"\n\n[tool.ruff]\nline-length = '
        f'{rng.choice((88, 100, 120))}\n\n[tool.pytest.ini_options]\ntestpaths = ["tests"]\n'
    )


def tool_result(rng: random.Random, prose: Sequence[str]) -> str:
    kind = rng.randrange(4)
    if kind == 0:
        results = [
            {
                "title": _sentences(rng, prose, 1, 1)[:60],
                "url": f"https://{rng.choice(('news', 'docs', 'blog'))}.example.com/{rng.randint(1, 9999)}",
                "snippet": _sentences(rng, prose, 1, 2),
            }
            for _ in range(rng.randint(2, 5))
        ]
        return orjson.dumps({"query": "search", "results": results}, option=orjson.OPT_INDENT_2).decode()
    if kind == 1:
        return orjson.dumps(
            {
                "ticket": rng.randint(100, 99999),
                "status": rng.choice(("open", "closed")),
                "reporter": _name(rng),
                "description": _sentences(rng, prose, 2, 5),
                "comments": [{"author": _name(rng), "body": _sentences(rng, prose, 1, 2)} for _ in range(2)],
            }
        ).decode()
    if kind == 2:
        return orjson.dumps(
            {
                "events": [
                    {
                        "title": rng.choice(("Standup", "1:1", "Design review", "Lunch", "Planning")),
                        "start": f"2024-06-{rng.randint(1, 28):02d}T{rng.randint(8, 17):02d}:00:00Z",
                        "attendees": [_name(rng) for _ in range(rng.randint(1, 4))],
                        "notes": _sentences(rng, prose, 0, 2),
                    }
                    for _ in range(rng.randint(1, 4))
                ]
            },
            option=orjson.OPT_INDENT_2,
        ).decode()
    lines = []
    for i in range(rng.randint(5, 20)):
        level = rng.choice(("INFO", "INFO", "DEBUG", "WARN", "ERROR"))
        lines.append(
            f"2024-05-02 10:{i:02d}:{rng.randint(0, 59):02d} {level} "
            f"{rng.choice(('request served', 'cache miss', 'retrying upstream', 'job finished', 'user logged in'))}"
            f" id={''.join(rng.choices(string.hexdigits.lower(), k=8))} ms={rng.randint(1, 900)}"
        )
    return "\n".join(lines)


def code_file(rng: random.Random, code_texts: Sequence[str]) -> str:
    """Code: an answer or source file from the code corpus, sometimes two concatenated."""
    text = rng.choice(code_texts)
    if rng.random() < 0.3:
        text += "\n\n" + rng.choice(code_texts)
    return text[:6000]


def documents(
    rng: random.Random,
    n: int,
    prose: Sequence[str],
    bodies: Sequence[str],
    code_texts: Sequence[str],
) -> list[tuple[str, str]]:
    """``n`` composed benign documents as (kind, text)."""
    out = []
    for _ in range(n):
        kind = rng.choice(("email", "email", "table", "config", "tool", "code", "code"))
        if kind == "email":
            out.append((kind, email(rng, prose, bodies)))
        elif kind == "table":
            out.append((kind, table(rng)))
        elif kind == "config":
            out.append((kind, config(rng)))
        elif kind == "tool":
            out.append((kind, tool_result(rng, prose)))
        else:
            out.append((kind, code_file(rng, code_texts)))
    return out


def embed_in_code(instruction: str, rng: random.Random) -> str:
    """An instruction as it is hidden in code or data: a comment, a docstring, a JSON field."""
    return rng.choice(
        (
            "# {i}",
            "// {i}",
            '"""{i}"""',
            "/* {i} */",
            '"note": "{i}",',
            "<!-- {i} -->",
            "{i}",
            "{i}",
        )
    ).format(i=instruction)


CODE_REQUESTS = (
    "Please review this Python file for bugs and style issues:",
    "Can you explain what this code does?",
    "Review this pull request and suggest improvements.",
    "Add type hints and docstrings to this module.",
    "Why does this code raise an exception?",
    "Refactor the following code to be more readable.",
    "Write unit tests for this:",
    "Translate this code to TypeScript.",
)


def code_request(rng: random.Random, code_texts: Sequence[str]) -> str:
    """A request to review or explain a pasted piece of code."""
    code = code_file(rng, code_texts)
    fence = rng.choice(("```python\n{c}\n```", "```\n{c}\n```", "{c}"))
    return f"{rng.choice(CODE_REQUESTS)}\n\n{fence.format(c=code)}"
