"""Credential formats of the major providers, written for this project (gitleaks' rule set was the
reference for which formats exist, not a source of patterns).

Each ``Rule`` has a regular expression whose group ``s`` is the secret (the finding's span), the
lower-case keywords one of which must occur in the text for the expression to run at all (the
cheap prefilter: most texts contain none), a score, and how strictly the value is checked for
placeholders (``secrets_filters``): ``min_entropy`` in bits per character, and ``words`` for the
dictionary test (off where the format itself is proof enough).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass

from trueport import jsonutil


@dataclass(frozen=True, slots=True)
class Rule:
    type: str
    pattern: re.Pattern[str]
    keywords: tuple[str, ...]
    score: float = 0.95
    min_entropy: float = 3.0
    words: bool = False
    check: Callable[[str], bool] | None = None
    scored: Callable[[re.Match[str]], float] | None = None  # the score from the whole match, if not fixed


def _r(
    type_: str,
    pattern: str,
    keywords: str,
    score: float = 0.95,
    *,
    min_entropy: float = 3.0,
    words: bool = False,
    check: Callable[[str], bool] | None = None,
    scored: Callable[[re.Match[str]], float] | None = None,
    flags: int = 0,
) -> Rule:
    return Rule(
        type_, re.compile(pattern, flags), tuple(keywords.split()), score, min_entropy, words, check, scored
    )


# Boundaries: a token must not be glued to more token characters on either side.
_B = r"(?<![A-Za-z0-9_\-])"
_E = r"(?![A-Za-z0-9_\-])"
# A key name followed by an assignment, for formats that are only recognisable next to their name.
_ASSIGN = r"""[\w.\-]{0,40}["']?\s*(?:=|:|:=|=>|\s)\s*["'`]?"""


_SAS_PERMISSIONS = re.compile(r"(?:^|&)sp=(?P<p>[a-z]+)&")
_SAS_EXPIRY = re.compile(r"(?:^|&)se=[^&]+&")


def _sas_score(match: re.Match[str]) -> float:
    """A shared access signature that only reads (``sp=r``/``rl``) and expires (``se=``) is a link
    made to be handed out (a shared file, an image in a page): 0.35, under the default threshold.
    One that can write, delete or list a container, or never expires, is a credential: 0.9."""
    query = match.group("q")
    permissions = _SAS_PERMISSIONS.search(query)
    if permissions is not None and set(permissions.group("p")) <= {"r"} and _SAS_EXPIRY.search(query):
        return 0.35
    return 0.9


def _jwt_header(token: str) -> bool:
    header = token.split(".", 1)[0]
    try:
        decoded = base64.urlsafe_b64decode(header + "=" * (-len(header) % 4))
        value = jsonutil.loads(decoded)
    except (binascii.Error, ValueError):
        return False
    return isinstance(value, dict) and "alg" in value


def _basic_credentials(value: str) -> bool:
    try:
        decoded = base64.b64decode(value + "=" * (-len(value) % 4), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return False
    user, colon, password = decoded.partition(":")
    return bool(colon) and bool(user or password) and "$" not in decoded and "{" not in decoded


def _mixed(value: str) -> bool:
    """Upper and lower case letters and digits (random tokens; not words or numbers)."""
    return (
        any(c.isupper() for c in value)
        and any(c.islower() for c in value)
        and any(c.isdigit() for c in value)
    )


RULES: tuple[Rule, ...] = (
    # --- cloud ---------------------------------------------------------------------------------
    _r(
        "aws_access_key",
        _B + r"(?P<s>(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16})" + _E,
        "akia asia abia acca a3t",
        0.95,
        min_entropy=2.8,
    ),
    _r(
        "aws_secret_key",
        r"(?i:aws|amazon)[\w.\-]{0,30}(?i:secret|private)"
        + _ASSIGN
        + r"(?P<s>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])",
        "aws amazon",
        0.95,
        min_entropy=4.0,
    ),
    _r(
        "aws_secret_key",
        r"(?i:secret[_\-]?access[_\-]?key|aws[_\-]?secret)"
        + _ASSIGN
        + r"(?P<s>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])",
        "secret",
        0.95,
        min_entropy=4.0,
    ),
    _r("aws_bedrock_key", _B + r"(?P<s>ABSK[A-Za-z0-9+/]{100,270}={0,2})", "absk", 0.95, min_entropy=4.0),
    _r("gcp_api_key", _B + r"(?P<s>AIza[0-9A-Za-z_\-]{35})" + _E, "aiza", 0.95, min_entropy=3.5),
    _r("gcp_oauth_secret", _B + r"(?P<s>GOCSPX-[A-Za-z0-9_\-]{28})" + _E, "gocspx", 0.97),
    _r("gcp_access_token", _B + r"(?P<s>ya29\.[0-9A-Za-z_\-]{30,})" + _E, "ya29", 0.9),
    _r(
        "gcp_service_account",
        r"""(?P<s>"type"\s*:\s*"service_account")""",
        "service_account",
        0.6,
        min_entropy=0,
    ),
    _r(
        "azure_storage_key",
        r"(?i:AccountKey|SharedAccessKey|azure[\w.\-]{0,20}key)\s*[=:]\s*[\"']?"
        r"(?P<s>[A-Za-z0-9+/]{40,86}={1,2})",
        "accountkey sharedaccesskey azure",
        0.97,
        min_entropy=4.0,
    ),
    _r(
        "azure_client_secret",
        r"(?<![\w~.\-])(?P<s>[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.\-]{31,34})(?![\w~.\-])",
        "q~",
        0.95,
        min_entropy=3.5,
    ),
    _r(
        "azure_sas_token",
        r"[?&](?P<q>(?:[^\s\"'<>&#=]{1,16}=[^\s\"'<>&#]{0,2000}&){0,24}?)sig=(?P<s>[A-Za-z0-9%+/]{40,}(?:%3D|=){0,2})",
        "sig=",
        0.9,
        min_entropy=3.5,
        scored=_sas_score,
    ),
    _r("alibaba_access_key", _B + r"(?P<s>LTAI[A-Za-z0-9]{20})" + _E, "ltai", 0.9, min_entropy=3.3),
    _r("digitalocean_token", _B + r"(?P<s>do[opr]_v1_[a-f0-9]{64})" + _E, "dop_v1 doo_v1 dor_v1", 0.97),
    _r("heroku_api_key", _B + r"(?P<s>HRKU-[A-Za-z0-9_\-]{60})" + _E, "hrku-", 0.95),
    _r("databricks_token", _B + r"(?P<s>dapi[a-f0-9]{32}(?:-\d)?)" + _E, "dapi", 0.9),
    # --- code hosting and CI ---------------------------------------------------------------------
    _r("github_token", _B + r"(?P<s>gh[pousr]_[A-Za-z0-9]{36,255})" + _E, "ghp_ gho_ ghu_ ghs_ ghr_", 0.98),
    _r("github_token", _B + r"(?P<s>github_pat_[A-Za-z0-9_]{82})" + _E, "github_pat_", 0.98),
    _r(
        "gitlab_token",
        _B + r"(?P<s>gl(?:pat|ptt|rt|dt|soat|cbt|imt|agent|oas|ffct|ft)-[A-Za-z0-9_\-.]{20,90})" + _E,
        "glpat- glptt- glrt- gldt- glsoat- glcbt- glimt- glagent- gloas- glffct- glft-",
        0.97,
    ),
    _r("gitlab_token", _B + r"(?P<s>GR1348941[A-Za-z0-9_\-]{20})" + _E, "gr1348941", 0.97),
    _r("bitbucket_token", _B + r"(?P<s>ATBB[A-Za-z0-9_=.\-]{32,})" + _E, "atbb", 0.95),
    _r("atlassian_token", _B + r"(?P<s>ATATT3[A-Za-z0-9_\-=]{150,250})" + _E, "atatt3", 0.97),
    _r("npm_token", _B + r"(?P<s>npm_[A-Za-z0-9]{36})" + _E, "npm_", 0.97),
    _r(
        "pypi_token",
        _B + r"(?P<s>pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,})" + _E,
        "pypi-ageichlwas5vcmc",
        0.99,
    ),
    _r("rubygems_token", _B + r"(?P<s>rubygems_[a-f0-9]{48})" + _E, "rubygems_", 0.97),
    _r(
        "artifactory_token",
        _B + r"(?P<s>AKCp[A-Za-z0-9]{69}|cmVmd[A-Za-z0-9]{59})" + _E,
        "akcp cmvmd",
        0.9,
        min_entropy=4.0,
    ),
    _r(
        "sourcegraph_token", _B + r"(?P<s>sgp_(?:[a-fA-F0-9]{16}_|local_)?[a-fA-F0-9]{40})" + _E, "sgp_", 0.95
    ),
    _r(
        "sourcegraph_token",
        r"(?i:sourcegraph)" + _ASSIGN + r"(?P<s>[a-fA-F0-9]{40})" + _E,
        "sourcegraph",
        0.85,
    ),
    _r("hashicorp_vault_token", _B + r"(?P<s>hv[sb]\.[A-Za-z0-9_\-]{90,300})" + _E, "hvs. hvb.", 0.95),
    _r(
        "hashicorp_vault_token",
        r"(?i:vault|token)" + _ASSIGN + r"(?P<s>s\.[A-Za-z0-9]{24})" + _E,
        "s.",
        0.8,
        check=lambda v: _mixed(v[2:]),
    ),
    _r(
        "terraform_token",
        _B + r"(?P<s>[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=\-]{60,70})" + _E,
        "atlasv1",
        0.95,
    ),
    _r("octopus_api_key", _B + r"(?P<s>API-[A-Z0-9]{26})" + _E, "api-", 0.9, min_entropy=3.5),
    _r("pulumi_token", _B + r"(?P<s>pul-[a-f0-9]{40})" + _E, "pul-", 0.95),
    _r("postman_api_key", _B + r"(?P<s>PMAK-[a-f0-9]{24}-[a-f0-9]{34})" + _E, "pmak-", 0.97),
    _r("doppler_token", _B + r"(?P<s>dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,44})" + _E, "dp.", 0.95),
    _r(
        "grafana_token",
        _B + r"(?P<s>glc_[A-Za-z0-9+/]{32,400}={0,2}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8})" + _E,
        "glc_ glsa_",
        0.9,
        min_entropy=3.5,
    ),
    _r("sentry_token", _B + r"(?P<s>sntr(?:ys|yu)_[A-Za-z0-9+/=_]{40,})", "sntrys_ sntryu_", 0.95),
    _r("new_relic_key", _B + r"(?P<s>NR(?:AK|II|JS)-[A-Za-z0-9]{19,32})" + _E, "nrak- nrii- nrjs-", 0.9),
    _r("linear_api_key", _B + r"(?P<s>lin_api_[A-Za-z0-9]{40})" + _E, "lin_api_", 0.95),
    _r(
        "notion_token",
        _B + r"(?P<s>ntn_[0-9]{11}[A-Za-z0-9]{35})" + _E,
        "ntn_",
        0.95,
        min_entropy=3.5,
        check=_mixed,
    ),
    _r(
        "shopify_token",
        _B + r"(?P<s>shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32})" + _E,
        "shpat_ shpca_ shppa_ shpss_",
        0.95,
    ),
    _r("prefect_token", _B + r"(?P<s>pnu_[A-Za-z0-9]{36})" + _E, "pnu_", 0.95),
    _r("readme_token", _B + r"(?P<s>rdme_[a-z0-9]{70})" + _E, "rdme_", 0.95),
    _r(
        "planetscale_token",
        _B + r"(?P<s>pscale_(?:tkn|oauth|pw)_[A-Za-z0-9_.\-=]{32,64})" + _E,
        "pscale_",
        0.95,
    ),
    _r(
        "age_secret_key",
        r"(?P<s>AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})",
        "age-secret-key-1",
        0.99,
    ),
    _r(
        "onepassword_token", _B + r"(?P<s>ops_eyJ[A-Za-z0-9+/]{250,}={0,3})", "ops_eyj", 0.97, min_entropy=4.0
    ),
    _r(
        "onepassword_secret_key",
        _B + r"(?P<s>A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})"
        r"-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5})" + _E,
        "a3-",
        0.95,
        min_entropy=3.0,
    ),
    _r("intra42_secret", _B + r"(?P<s>s-s4t2(?:ud|af)-[a-f0-9]{64})" + _E, "s-s4t2", 0.95),
    _r("clickhouse_secret", _B + r"(?P<s>4b1d[A-Za-z0-9]{38})" + _E, "4b1d", 0.9, min_entropy=3.5),
    _r("infracost_token", r"(?<![\w.\-])(?P<s>ico-[A-Za-z0-9]{32})" + _E, "ico-", 0.9, min_entropy=3.5),
    _r("adobe_secret", _B + r"(?P<s>p8e-[A-Za-z0-9]{32})" + _E, "p8e-", 0.9, min_entropy=3.5),
    _r("dynatrace_token", _B + r"(?P<s>dt0c01\.[A-Z0-9]{24}\.[A-Z0-9]{64})" + _E, "dt0c01", 0.97),
    _r(
        "settlemint_token",
        _B + r"(?P<s>sm_(?:pat|aat|sat)_[A-Za-z0-9]{16})" + _E,
        "sm_pat_ sm_aat_ sm_sat_",
        0.9,
        min_entropy=3.3,
    ),
    # --- chat and messaging ----------------------------------------------------------------------
    _r(
        "slack_token",
        _B + r"(?P<s>xox[abposer]-[0-9]{6,}-[A-Za-z0-9-]{10,}+)(?![#*])",
        "xoxb- xoxp- xoxa- xoxo- xoxs- xoxe- xoxr-",
        0.97,
    ),
    _r("slack_token", _B + r"(?P<s>xoxe(?:\.xox[bp])?-\d-[A-Za-z0-9]{100,})" + _E, "xoxe", 0.97),
    _r("slack_token", _B + r"(?P<s>xapp-\d-[A-Z0-9]+-\d+-[a-f0-9]{32,})" + _E, "xapp-", 0.97),
    _r(
        "slack_webhook",
        r"hooks\.slack\.com/(?:services|workflows|triggers)/(?P<s>[A-Za-z0-9_/+\-]{20,})",
        "hooks.slack.com",
        0.95,
    ),
    _r(
        "teams_webhook",
        r"(?P<s>https://[a-z0-9\-]+\.webhook\.office\.com/webhookb2/[a-z0-9\-]{36}@"
        r"[a-z0-9\-]{36}/IncomingWebhook/[a-z0-9]{32}/[a-z0-9\-]{36})",
        "webhook.office.com",
        0.95,
    ),
    _r(
        "discord_token",
        _B + r"(?P<s>[MNO][A-Za-z0-9_\-]{23,25}\.[A-Za-z0-9_\-]{6}\.[A-Za-z0-9_\-]{27,38})" + _E,
        ".",
        0.9,
        min_entropy=4.0,
    ),
    _r(
        "discord_webhook",
        r"discord(?:app)?\.com/api/webhooks/\d+/(?P<s>[A-Za-z0-9_\-]{60,})",
        "discord",
        0.95,
    ),
    _r("telegram_bot_token", r"(?<!\d)(?P<s>\d{8,10}:AA[A-Za-z0-9_\-]{33})" + _E, ":aa", 0.95),
    _r("facebook_token", _B + r"(?P<s>EAA[A-Za-z0-9]{80,})" + _E, "eaa", 0.9, min_entropy=4.0),
    _r(
        "facebook_token",
        r"(?<!\d)(?P<s>\d{15,16}(?:\||%7C)[A-Za-z0-9_\-]{27})" + _E,
        "|",
        0.85,
        min_entropy=3.5,
    ),
    # --- payments --------------------------------------------------------------------------------
    _r("stripe_key", _B + r"(?P<s>(?:sk|rk)_(?:live|test|prod)_[A-Za-z0-9]{24,247})" + _E, "sk_ rk_", 0.97),
    _r("stripe_key", _B + r"(?P<s>whsec_[A-Za-z0-9]{32,})" + _E, "whsec_", 0.95),
    _r(
        "paypal_token",
        r"(?P<s>access_token\$(?:production|sandbox)\$[0-9a-z]{16}\$[0-9a-f]{32})",
        "access_token$",
        0.97,
    ),
    _r(
        "paypal_token",
        r"(?i:paypal)[\w.\-]{0,20}(?i:secret)" + _ASSIGN + r"(?P<s>[A-Za-z0-9_\-]{60,90})" + _E,
        "paypal",
        0.9,
    ),
    _r("square_token", _B + r"(?P<s>sq0(?:atp|csp|idp)-[A-Za-z0-9_\-]{22,43})" + _E, "sq0", 0.95),
    _r("square_token", _B + r"(?P<s>EAAA[A-Za-z0-9_\-+=]{60})" + _E, "eaaa", 0.85, min_entropy=4.0),
    # --- AI providers ----------------------------------------------------------------------------
    _r(
        "openai_api_key",
        _B + r"(?P<s>sk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_\-]{16,}T3BlbkFJ"
        r"[A-Za-z0-9_\-]{16,})" + _E,
        "t3blbkfj",
        0.99,
    ),
    _r(
        "openai_api_key",
        _B + r"(?P<s>sk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{40,200})" + _E,
        "sk-proj- sk-svcacct- sk-admin-",
        0.95,
        min_entropy=3.5,
    ),
    _r(
        "anthropic_api_key",
        _B + r"(?P<s>sk-ant-(?:api|admin|sid)\d{2}-[A-Za-z0-9_\-]{80,100}AA)" + _E,
        "sk-ant-",
        0.99,
    ),
    _r("llm_api_key", _B + r"(?P<s>sk-or-v1-[a-f0-9]{64})" + _E, "sk-or-v1-", 0.97),
    _r("llm_api_key", _B + r"(?P<s>sk-[A-Za-z0-9]{48})" + _E, "sk-", 0.9, min_entropy=3.5, check=_mixed),
    _r("llm_api_key", _B + r"(?P<s>sk-[a-f0-9]{32})" + _E, "sk-", 0.8, min_entropy=3.3),
    _r(
        "huggingface_token",
        _B + r"(?P<s>(?:hf_|api_org_)[A-Za-z0-9]{30,40})" + _E,
        "hf_ api_org_",
        0.95,
        min_entropy=3.5,
        check=lambda v: any(c.isupper() for c in v) and any(c.islower() for c in v[3:]),
    ),
    _r("llm_api_key", _B + r"(?P<s>gsk_[A-Za-z0-9]{52})" + _E, "gsk_", 0.97),  # Groq
    _r("llm_api_key", _B + r"(?P<s>r8_[A-Za-z0-9]{37})" + _E, "r8_", 0.95),  # Replicate
    _r("llm_api_key", _B + r"(?P<s>pplx-[A-Za-z0-9]{48})" + _E, "pplx-", 0.97),  # Perplexity
    _r("llm_api_key", _B + r"(?P<s>xai-[A-Za-z0-9]{70,90})" + _E, "xai-", 0.97),  # xAI
    _r(
        "llm_api_key", _B + r"(?P<s>lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10})" + _E, "lsv2_", 0.97
    ),  # LangSmith
    _r(
        "llm_api_key",
        _B + r"(?P<s>(?:fw|tgp_v1)_[A-Za-z0-9_\-]{24,})" + _E,
        "fw_ tgp_v1_",
        0.85,
        min_entropy=3.8,
    ),
    _r(
        "llm_api_key",
        r"(?i:cohere|co_api_key|mistral|groq|together|anyscale|deepseek|gemini|openai|anthropic"
        r"|claude)[\w.\-]{0,20}(?i:key|token|secret)" + _ASSIGN + r"(?P<s>[A-Za-z0-9_\-]{32,64})" + _E,
        "cohere co_api_key mistral groq together anyscale deepseek gemini openai anthropic claude",
        0.85,
        min_entropy=3.5,
        check=_mixed,
    ),
    # --- more SaaS formats with a telling prefix --------------------------------------------------
    _r("dropbox_token", _B + r"(?P<s>sl\.[A-Za-z0-9_\-=]{130,160})" + _E, "sl.", 0.9, min_entropy=4.0),
    _r(
        "mapbox_secret_token",
        _B + r"(?P<s>sk\.eyJ[A-Za-z0-9_\-]{40,}\.[A-Za-z0-9_\-]{20,})" + _E,
        "sk.eyj",
        0.97,
    ),
    _r("brevo_api_key", _B + r"(?P<s>xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16})" + _E, "xkeysib-", 0.97),
    _r("shippo_token", _B + r"(?P<s>shippo_(?:live|test)_[a-f0-9]{40})" + _E, "shippo_", 0.95),
    _r("airtable_token", _B + r"(?P<s>pat[A-Za-z0-9]{14}\.[a-f0-9]{64})" + _E, "pat", 0.95),
    _r("frameio_token", _B + r"(?P<s>fio-u-[A-Za-z0-9_\-=]{64})" + _E, "fio-u-", 0.95),
    _r(
        "harness_token",
        _B + r"(?P<s>(?:pat|sat)\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{20})" + _E,
        "pat. sat.",
        0.95,
    ),
    _r(
        "flutterwave_key",
        _B + r"(?P<s>FLW(?:SECK|PUBK)_TEST-[a-h0-9]{32}-X|FLWSECK-[a-h0-9]{32}-X)",
        "flw",
        0.95,
    ),
    _r(
        "flyio_token",
        _B + r"(?P<s>fo1_[A-Za-z0-9_\-]{43}|fm[12][ar]?_[A-Za-z0-9+/]{100,}={0,3})" + _E,
        "fo1_ fm1 fm2",
        0.95,
        min_entropy=3.8,
    ),
    _r(
        "yandex_key",
        _B + r"(?P<s>AQVN[A-Za-z0-9_\-]{35,38}|YC[A-Za-z0-9_\-]{38}|t1\.[A-Za-z0-9_\-]+=*\."
        r"[A-Za-z0-9_\-]{86}=*)" + _E,
        "aqvn yc t1.",
        0.85,
        min_entropy=3.8,
    ),
    _r("cloudflare_origin_ca_key", _B + r"(?P<s>v1\.0-[a-f0-9]{24}-[a-f0-9]{146})" + _E, "v1.0-", 0.95),
    _r("google_refresh_token", _B + r"(?P<s>1//0[A-Za-z0-9_\-]{40,})" + _E, "1//0", 0.9, min_entropy=3.8),
    _r("razorpay_key", _B + r"(?P<s>rzp_(?:live|test)_[A-Za-z0-9]{14})" + _E, "rzp_", 0.9, min_entropy=3.0),
    _r("dockerhub_token", _B + r"(?P<s>dckr_pat_[A-Za-z0-9_\-]{27})" + _E, "dckr_pat_", 0.97),
    _r("supabase_token", _B + r"(?P<s>sbp_[a-f0-9]{40})" + _E, "sbp_", 0.95),
    _r(
        "vercel_token",
        r"(?i:vercel)" + _ASSIGN + r"(?P<s>[A-Za-z0-9]{24})" + _E,
        "vercel",
        0.85,
        check=_mixed,
    ),
    _r(
        "datadog_api_key",
        r"(?i:datadog|dd_api_key|dd_app_key)" + _ASSIGN + r"(?P<s>[a-f0-9]{32}|[a-f0-9]{40})" + _E,
        "datadog dd_api_key dd_app_key",
        0.9,
    ),
    _r(
        "heroku_api_key",
        r"(?i:heroku)"
        + _ASSIGN
        + r"(?P<s>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
        + _E,
        "heroku",
        0.85,
    ),
    # --- e-mail and SMS --------------------------------------------------------------------------
    _r("sendgrid_api_key", _B + r"(?P<s>SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43})" + _E, "sg.", 0.99),
    _r("twilio_api_key", _B + r"(?P<s>SK[0-9a-fA-F]{32})" + _E, "sk", 0.85, min_entropy=3.3),
    _r(
        "twilio_auth_token",
        r"(?i:twilio)[\w.\-]{0,20}(?i:auth|token|secret)" + _ASSIGN + r"(?P<s>[a-f0-9]{32})" + _E,
        "twilio",
        0.9,
    ),
    _r("mailgun_api_key", _B + r"(?P<s>key-[0-9a-zA-Z]{32})" + _E, "key-", 0.9, min_entropy=3.5),
    _r(
        "mailgun_api_key",
        r"(?i:mailgun)" + _ASSIGN + r"(?P<s>[a-f0-9]{32}-[a-f0-9]{8}-[a-f0-9]{8})" + _E,
        "mailgun",
        0.9,
    ),
    _r("mailchimp_api_key", _B + r"(?P<s>[0-9a-f]{32}-us\d{1,2})" + _E, "-us", 0.95),
    _r(
        "sidekiq_secret",
        r"(?i:BUNDLE_ENTERPRISE__CONTRIBSYS__COM|BUNDLE_GEMS__CONTRIBSYS__COM)\s*[:=]\s*[\"']?"
        r"(?P<s>[a-f0-9]{8}:[a-f0-9]{8})",
        "contribsys",
        0.95,
        min_entropy=2.0,
    ),
    # --- keys and tokens by structure ------------------------------------------------------------
    _r(
        "jwt",
        r"(?<![A-Za-z0-9_\-.])(?P<s>eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{16,})" + _E,
        "eyj",
        0.9,
        min_entropy=0,
        check=_jwt_header,
    ),
    _r(
        "basic_auth",
        r"(?i:authorization)[\"']?\s*:\s*[\"']?(?i:basic)\s+(?P<s>[A-Za-z0-9+/]{4,}={0,2})"
        r"(?![A-Za-z0-9+/=])",
        "basic",
        0.9,
        min_entropy=0,
        check=_basic_credentials,
    ),
)
