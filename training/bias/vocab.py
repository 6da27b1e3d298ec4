"""Vocabularies the bias data generator fills its templates with (the project's own lists).

Every list is split in two by ``split_items``: most items feed the training set, a held-back fifth
feeds the generated development set, so dev measures unseen fillers as well as unseen templates.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Group:
    plural: str  # "Muslims", "disabled people"
    singular: str  # "a Muslim", "a disabled person"
    adjective: str  # "Muslim", "disabled" (before a person noun)
    category: str


def _words(text: str) -> list[str]:
    return text.split()


def _dehyphenate(words: str) -> list[str]:
    """Split on whitespace; a hyphen inside an item stands for a space."""
    return [w.replace("-", " ") for w in words.split()]


def _groups(category: str, rows: str) -> list[Group]:
    out = []
    for row in rows.strip().splitlines():
        plural, singular, adjective = (part.strip() for part in row.split("|"))
        out.append(Group(plural, singular, adjective, category))
    return out


GROUPS: list[Group] = [
    *_groups(
        "race_ethnicity",
        """
        Black people | a Black person | Black
        blacks | a black guy | black
        white people | a white person | white
        Asians | an Asian | Asian
        Hispanics | a Hispanic guy | Hispanic
        Latinos | a Latino | Latino
        Arabs | an Arab | Arab
        Roma | a Roma woman | Roma
        gypsies | a gypsy | gypsy
        Native Americans | a Native American | Native American
        Aboriginal people | an Aboriginal person | Aboriginal
        African Americans | an African American | African American
        brown people | a brown person | brown
        Indigenous people | an Indigenous person | Indigenous
        Africans | an African | African
        people of colour | a person of colour | Black and brown
        """,
    ),
    *_groups(
        "nationality",
        """
        Mexicans | a Mexican | Mexican
        Chinese people | a Chinese person | Chinese
        Indians | an Indian | Indian
        Pakistanis | a Pakistani | Pakistani
        Nigerians | a Nigerian | Nigerian
        Somalis | a Somali | Somali
        Poles | a Pole | Polish
        Romanians | a Romanian | Romanian
        Albanians | an Albanian | Albanian
        Turks | a Turk | Turkish
        Russians | a Russian | Russian
        Germans | a German | German
        the French | a Frenchman | French
        Irish people | an Irish guy | Irish
        Italians | an Italian | Italian
        Syrians | a Syrian | Syrian
        Afghans | an Afghan | Afghan
        Filipinos | a Filipino | Filipino
        Haitians | a Haitian | Haitian
        Jamaicans | a Jamaican | Jamaican
        Americans | an American | American
        Ukrainians | a Ukrainian | Ukrainian
        Iranians | an Iranian | Iranian
        immigrants | an immigrant | immigrant
        refugees | a refugee | refugee
        migrants | a migrant | migrant
        foreigners | a foreigner | foreign
        asylum seekers | an asylum seeker | refugee
        Koreans | a Korean | Korean
        Vietnamese people | a Vietnamese guy | Vietnamese
        """,
    ),
    *_groups(
        "religion",
        """
        Muslims | a Muslim | Muslim
        Jews | a Jew | Jewish
        Christians | a Christian | Christian
        Catholics | a Catholic | Catholic
        Hindus | a Hindu | Hindu
        Sikhs | a Sikh | Sikh
        Buddhists | a Buddhist | Buddhist
        atheists | an atheist | atheist
        Mormons | a Mormon | Mormon
        evangelicals | an evangelical | evangelical
        """,
    ),
    *_groups(
        "gender",
        """
        women | a woman | female
        men | a man | male
        girls | a girl | female
        mothers | a mother | female
        wives | a wife | female
        ladies | a lady | female
        females | a female | female
        """,
    ),
    *_groups(
        "sexual_orientation",
        """
        gay people | a gay person | gay
        gays | a gay guy | gay
        lesbians | a lesbian | lesbian
        gay men | a gay man | gay
        bisexuals | a bisexual | bisexual
        homosexuals | a homosexual | homosexual
        queer people | a queer person | queer
        LGBT people | an LGBT person | LGBT
        """,
    ),
    *_groups(
        "gender_identity",
        """
        trans people | a trans person | trans
        transgender people | a transgender person | transgender
        trans women | a trans woman | trans
        trans men | a trans man | trans
        non-binary people | a non-binary person | non-binary
        transsexuals | a transsexual | transsexual
        """,
    ),
    *_groups(
        "disability",
        """
        disabled people | a disabled person | disabled
        people with disabilities | a person with a disability | disabled
        the disabled | a disabled guy | disabled
        autistic people | an autistic person | autistic
        blind people | a blind person | blind
        deaf people | a deaf person | deaf
        wheelchair users | a wheelchair user | disabled
        people with Down syndrome | a person with Down syndrome | disabled
        the mentally ill | a mentally ill person | mentally ill
        schizophrenics | a schizophrenic | schizophrenic
        handicapped people | a handicapped person | handicapped
        """,
    ),
    *_groups(
        "age",
        """
        old people | an old person | old
        the elderly | an elderly person | elderly
        boomers | a boomer | older
        millennials | a millennial | young
        teenagers | a teenager | young
        pensioners | a pensioner | elderly
        older workers | an older worker | older
        Gen Z | a Gen Z kid | young
        young people | a young person | young
        seniors | a senior | elderly
        people over 60 | someone over 60 | older
        """,
    ),
]

# Person nouns after a group adjective ("Muslim neighbours").
PERSON_NOUNS = _words(
    """people workers employees applicants students neighbours families kids candidates tenants
    colleagues customers drivers doctors nurses teachers parents guys women men coworkers patients
    engineers managers players"""
)

NEG_ADJ = _dehyphenate(
    """lazy stupid dumb dirty violent greedy dishonest untrustworthy inferior primitive backward ignorant
incompetent useless worthless weak emotional hysterical irrational aggressive arrogant rude loud smelly
cheap stingy sneaky corrupt dangerous fanatical brainwashed uneducated unhygienic promiscuous predatory
perverted unstable entitled selfish ungrateful senile hopeless unreliable unemployable disgusting
backstabbing manipulative sleazy freeloading mentally-unstable attention-seeking"""
)

NEG_NOUN = _dehyphenate(
    """criminals thieves liars terrorists rapists drug-dealers freeloaders scroungers cheats thugs
degenerates perverts fanatics extremists gangsters predators welfare-cheats con-artists troublemakers
idiots"""
)

BEHAVIOUR = [
    "steal everything they can",
    "lie about everything",
    "never pay their bills",
    "take our jobs",
    "live off benefits",
    "cheat on their taxes",
    "ruin every neighbourhood they move into",
    "can't drive",
    "can't do math",
    "only care about money",
    "smell bad",
    "refuse to integrate",
    "bring crime wherever they go",
    "can't control their emotions",
    "push their agenda on children",
    "play the victim",
    "sponge off the state",
    "can't handle pressure",
    "slow everyone down",
    "are a drain on the system",
    "don't know how to raise kids",
    "exaggerate everything",
    "can't be trusted with money",
    "make terrible bosses",
    "ruin every team they join",
    "only want handouts",
    "never work hard",
    "always cause trouble",
    "have no morals",
    "can't think logically",
]

SKILL = _words(
    """math science engineering leadership driving programming business logic finance negotiating chess
    surgery management physics"""
)

ROLE = [
    "lead a company",
    "be engineers",
    "be surgeons",
    "fly planes",
    "run a country",
    "manage money",
    "teach children",
    "raise children",
    "manage people",
    "work in tech",
    "be in charge",
    "make big decisions",
    "be police officers",
    "do serious science",
]

RIGHT = [
    "vote",
    "adopt children",
    "teach in our schools",
    "work with kids",
    "serve in the military",
    "run for office",
    "own property",
    "get married",
    "buy houses here",
    "open businesses here",
    "enter the country",
    "become citizens",
    "use the same bathrooms as us",
    "join our club",
    "play sports",
    "hold public office",
    "drive",
    "rent in this building",
    "work here",
    "study at this university",
]

PLACE = [
    "our country",
    "this neighbourhood",
    "our schools",
    "this town",
    "our office",
    "the company",
    "our team",
    "the building",
    "Europe",
    "America",
    "this city",
    "our church",
    "the gym",
    "the military",
    "our club",
    "the restaurant",
    "the apartment complex",
    "the board",
    "our street",
    "the park",
]

DEHUMANISING = [
    "animals",
    "rats",
    "cockroaches",
    "vermin",
    "parasites",
    "apes",
    "monkeys",
    "pigs",
    "dogs",
    "insects",
    "locusts",
    "leeches",
    "savages",
    "beasts",
    "subhuman",
    "a plague",
    "a disease",
    "a cancer on society",
    "a virus",
    "filth",
    "scum",
    "trash",
    "garbage",
    "less than human",
    "not even human",
    "an infestation",
]

VIOLENT_PP = _dehyphenate(
    """exterminated wiped-out shot hanged gassed burned-alive eradicated eliminated lynched put-down
slaughtered beaten-up killed purged"""
)

VIOLENT_V = _dehyphenate(
    """kill shoot exterminate hang burn beat-up lynch wipe-out eliminate slaughter gas stab"""
)

JOB = _dehyphenate(
    """nurse teacher software-engineer accountant plumber pilot surgeon chef lawyer electrician
journalist pharmacist architect mechanic librarian"""
)

CITY = _words(
    """London Toronto Berlin Chicago Sydney Lagos Mumbai Paris Madrid Nairobi Dublin Manchester Houston
    Melbourne Vancouver"""
)

HOLIDAY = [
    "Eid",
    "Diwali",
    "Hanukkah",
    "Christmas",
    "Ramadan",
    "Lunar New Year",
    "Passover",
    "Easter",
    "Vaisakhi",
    "Pride Month",
]

LANGUAGE = _words(
    """French Spanish Chinese Arabic Hindi Polish Turkish German Japanese Korean Urdu Portuguese"""
)

FOOD = _words(
    """Mexican Indian Chinese Turkish Italian Japanese Korean Ethiopian Thai Lebanese Polish Greek"""
)

YEAR = [str(y) for y in range(1850, 2024, 7)]

DISADVANTAGE = [
    "discrimination",
    "barriers",
    "higher unemployment",
    "a wage gap",
    "housing discrimination",
    "harassment",
    "underrepresentation",
    "health disparities",
    "longer wait times",
    "bias",
    "lower pay",
    "hate crimes",
]

DOMAIN = _words("""hiring housing healthcare education policing lending tech politics sports media""")

META_OPENERS = [
    "It's a stereotype that",
    "The myth that",
    "There's no evidence that",
    "It is racist to say that",
    "It is sexist to claim that",
    "Studies have debunked the claim that",
    "People often wrongly assume that",
    "My uncle keeps saying that",
    "Someone at work said that",
    "I read a comment claiming that",
    "Is it true that",
    "Why do people believe that",
    "How should I respond when someone says that",
    "The idea that",
    "The old trope that",
    "Propaganda once claimed that",
    "It's offensive to suggest that",
    "It is wrong and harmful to say that",
    "The article argues against the prejudice that",
    "A lot of bigots still think that",
    "Stop spreading the lie that",
    "Research does not support the assumption that",
    "The film challenges the narrative that",
    "My teacher explained why it's unfair to say that",
]

NEUTRAL_PREFIX = [
    "",
    "",
    "",
    "",
    "Honestly, ",
    "I think ",
    "Quick question: ",
    "To be fair, ",
    "Look, ",
    "So ",
    "Hi, ",
    "OK so ",
    "tbh ",
    "Well, ",
]

NEUTRAL_VP = [
    "live near the centre",
    "speak more than one language",
    "vote in local elections",
    "own a smartphone",
    "support the local football team",
    "work in services",
    "rent rather than own",
    "commute by bus",
    "have family abroad",
    "celebrate with big family dinners",
    "volunteer at least once a year",
    "use online banking",
]

NEUTRAL_INF = [
    "shop at local markets",
    "work from home",
    "cook at home",
    "travel in summer",
    "study part time",
    "live with their parents",
    "read the news online",
]

BEHAVIOUR_INF = [
    "ruin a good thing",
    "complain about everything",
    "turn up late",
    "cheat when nobody is looking",
    "start a fight",
    "make a mess",
    "steal the credit",
    "play the victim card",
]

REGIME = [
    "The Nazis",
    "The regime",
    "The Khmer Rouge",
    "Colonial troops",
    "The militia",
    "The dictatorship",
    "The occupying army",
    "Death squads",
]

WORSHIP = ["mosque", "synagogue", "gurdwara", "church", "temple"]
