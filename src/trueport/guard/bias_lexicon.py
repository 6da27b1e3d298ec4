"""Words the bias detector looks for: protected groups, and the cues of generalising, dehumanising,
exclusionary and violent language about them.

Group terms come in three kinds:

- nouns that always name a group (``muslims``, ``immigrants``, ``the elderly``);
- adjectives that name a group only next to a person noun (``black women``, ``old people``,
  ``trans kids``), after a determiner (``the french``), or before a predicate (``chinese are``),
  because alone they are everyday words (``black coffee``, ``french press``, ``old version``);
- age expressions (``over 50``, ``older than 45``).

The cue lists are matched on lower-cased text in which each group mention is replaced by the token
``grp`` (see ``bias_features``), so the patterns are written against ``grp``.
"""

from __future__ import annotations

RACE = "race_ethnicity"
NATIONALITY = "nationality"
RELIGION = "religion"
GENDER = "gender"
ORIENTATION = "sexual_orientation"
GENDER_IDENTITY = "gender_identity"
DISABILITY = "disability"
AGE = "age"

CATEGORIES = (RACE, NATIONALITY, RELIGION, GENDER, ORIENTATION, GENDER_IDENTITY, DISABILITY, AGE)


def _word_set(text: str) -> frozenset[str]:
    """Whitespace-separated words (the lists below are easier to read and extend as text)."""
    return frozenset(text.split())


# Nouns (one to four words) that name a group on their own. "a|man" is two words.
_NOUNS: dict[str, str] = {
    RACE: """blacks whites asians hispanics latinos latinas latinx latino latina arabs arab roma gypsies
        gypsy aborigines aboriginals aborigine caucasians caucasian africans inuit eskimos eskimo
        asian|americans african|americans african|american native|americans native|american
        indigenous|people indigenous|peoples first|nations people|of|colour people|of|color
        person|of|colour person|of|color poc bipoc pacific|islanders south|asians east|asians
        mixed|race|people irish|travellers mestizos""",
    NATIONALITY: """mexicans mexican pakistanis pakistani bangladeshis bangladeshi nigerians nigerian somalis
        somali ethiopians ethiopian kenyans kenyan ghanaians ghanaian egyptians egyptian moroccans
        moroccan algerians algerian tunisians libyans syrians syrian iraqis iraqi iranians iranian
        afghans afghan afghanis turks turk kurds kurd israelis israeli palestinians palestinian saudis
        saudi jordanians yemenis russians ukrainians ukrainian poles germans italians spaniards
        greeks albanians albanian romanians romanian bulgarians bulgarian serbs serb croats bosnians
        hungarians czechs slovaks belgians swedes norwegians danes finns brits americans canadians
        brazilians brazilian argentinians colombians colombian venezuelans venezuelan peruvians
        chileans cubans cuban haitians haitian jamaicans jamaican dominicans puerto|ricans
        puerto|rican salvadorans guatemalans hondurans filipinos filipino filipinas filipina thais
        koreans indonesians malaysians australians aussies new|zealanders sri|lankans tibetans
        uyghurs chechens indians frenchmen frenchman englishmen englishman scots irishmen irishman
        chinamen immigrants immigrant migrants migrant refugees refugee asylum|seekers
        asylum|seeker foreigners foreigner illegal|aliens illegals the|french the|english the|dutch
        the|irish the|chinese the|japanese the|spanish the|british the|swiss the|polish
        the|vietnamese the|portuguese the|welsh the|scottish""",
    RELIGION: """muslims muslim moslems moslem islam jews jew judaism christians christianity catholics
        protestants evangelicals evangelical mormons mormon hindus hindu hinduism sikhs sikh buddhists
        buddhist atheists atheist pagans jehovah's|witnesses shias shiites sunnis ahmadis mosque mosques
        synagogue synagogues gurdwara gurdwaras""",
    GENDER: """women woman men girls girl females males ladies lady wives wife housewives mothers moms mums
        feminists a|man a|female mother housewife""",
    ORIENTATION: """gays gay lesbians lesbian homosexuals homosexual bisexuals bisexual queers queer lgbt
        lgbtq lgbtqia asexuals pansexuals""",
    GENDER_IDENTITY: """transgender transgenders transsexuals transsexual non|binary nonbinary enbies
        genderqueer intersex trans|people trans|women trans|men trans|kids trans|folks trans|person
        trans|woman trans|man""",
    DISABILITY: """handicapped cripples the|disabled people|with|disabilities person|with|a|disability
        people|with|a|disability the|blind the|deaf autists people|with|autism the|mentally|ill
        people|with|down|syndrome person|with|down|syndrome wheelchair|users wheelchair|user
        people|in|wheelchairs amputees dyslexics schizophrenics schizophrenic epileptics paraplegics
        quadriplegics special|needs|kids mentally|ill|people mentally|ill|person people|with|mental|illness""",
    AGE: """the|elderly elderly seniors senior|citizens pensioners pensioner a|senior retirees boomers boomer
        baby|boomers millennials millennial gen|z zoomers gen|x teenagers teenager teens
        over|50s over|60s over|40s older|workers older|people older|adults""",
}

# Adjectives that name a group next to a person noun, after a determiner or before a predicate.
_ADJECTIVES: dict[str, str] = {
    RACE: "black white brown asian hispanic latino latina latin arab aboriginal indigenous native biracial roma gypsy",
    NATIONALITY: """chinese japanese vietnamese korean thai indian pakistani nigerian somali mexican french
        dutch british english irish scottish welsh spanish polish portuguese lebanese sudanese nepalese
        swiss turkish greek russian german italian african foreign immigrant migrant refugee jamaican
        haitian syrian afghan filipino iranian iraqi ukrainian romanian albanian american kurdish
        palestinian israeli moroccan algerian egyptian ethiopian kenyan ghanaian cuban brazilian
        colombian venezuelan bangladeshi arabic""",
    RELIGION: "jewish christian catholic hindu buddhist islamic muslim mormon evangelical sikh atheist",
    GENDER: "female male",
    ORIENTATION: "gay lesbian bisexual queer homosexual lgbt lgbtq",
    GENDER_IDENTITY: "trans transgender transsexual",
    DISABILITY: "disabled blind deaf autistic handicapped crippled dyslexic retarded schizophrenic",
    AGE: "old older elderly young younger",
}

# Person nouns that turn a preceding adjective into a group mention.
PERSON_NOUNS = _word_set(
    """people persons person men women guys folks folk kids children girls boys man woman families
    family workers worker applicants applicant candidates candidate students student neighbours
    neighbors neighbour neighbor tenants tenant employees employee staff immigrants immigrant drivers
    driver doctors doctor nurses nurse teachers teacher engineers engineer parents mothers fathers
    mom moms dad dads couples couple colleagues colleague coworkers coworker customers customer
    clients client patients patient citizens residents voters players members guy girl boy kid child
    individuals individual community communities population youth teens teenagers adults users
    athletes leaders managers officers soldiers migrants refugees brothers sisters husband wife son
    daughter ladies gentlemen lady gentleman americans nationals hires staffers culture cultures names
    households homes houses neighbourhoods neighborhoods areas businesses shops"""
)

# Words after "old workers", "black nodes" that show the phrase is not about people.
NOT_PEOPLE_AFTER = _word_set(
    """process processes thread threads node nodes pool pools queue queues class classes object objects
    instance instances model models version versions"""
)

# Words after which an adjective is read as a noun ("the chinese", "all gays", "those disabled").
DETERMINERS = _word_set("the those these all most many some every no any typical")

# Words after "old workers", "black nodes" that show the phrase is not about people.
NOT_PEOPLE_AFTER = _word_set(
    """process processes thread threads node nodes pool pools queue queues class classes object objects
    instance instances model models version versions"""
)

# Words after which an adjective is read as a noun ("chinese are", "mexicans always").
PREDICATE_STARTERS = _word_set(
    """are is were was r tend can't cannot can't won't will never always don't do does should shouldn't
    must need just only all really love hate ruin steal lack have get"""
)

# Adjectives that are also colours or common words: a group next to a person noun, or between a
# determiner and a plural predicate ("the old are").
COLOUR_ADJECTIVES = _word_set(
    """black white brown latin native foreign old older young younger male female blind deaf trans
    disabled immigrant christian american arabic"""
)
# Adjectives that are also languages or cuisines: a group before a plural predicate ("chinese are"),
# next to a person noun, or after a determiner at a predicate or the end ("the french are").
_LANGUAGE_ADJECTIVES = _word_set(
    """english french dutch spanish polish portuguese swiss turkish greek chinese japanese indian german
    russian italian african korean thai vietnamese"""
)
WEAK_ADJECTIVES = COLOUR_ADJECTIVES | _LANGUAGE_ADJECTIVES

# "who is black", "that are disabled": a colour adjective after these two words names a group.
RELATIVE_COPULAS = frozenset(
    [("who", "is"), ("who", "are"), ("who", "was"), ("who", "were"), ("that", "is"), ("that", "are")]
)

# Words after "a German", "an Indian" that show the adjective is a noun ("a German is", "an Indian
# in my class"), unlike "a German shepherd" or "an Indian restaurant".
AFTER_SINGULAR_NOUN = _word_set(
    """is was will would can can't could should shouldn't has had in at from on who and or with to for
    they he she i you we never always just really does did doesn't didn't isn't wasn't won't they're
    he's she's i'm"""
)
# Colour and age words never read as "a <noun>" ("a black", "an old").
NOT_SINGULAR = _word_set(
    "black white brown old older young younger native foreign blind deaf male female trans disabled"
)

# Predicates that make the word before them a plural noun ("chinese are", not "chinese is").
PLURAL_PREDICATES = _word_set(
    """are aren't were weren't r always never all tend can't cannot don't should shouldn't must just
    only"""
)

GROUP_NOUNS: dict[tuple[str, ...], str] = {}
for _category, _text in _NOUNS.items():
    for _entry in _text.split():
        GROUP_NOUNS[tuple(_entry.split("|"))] = _category
GROUP_ADJECTIVES: dict[str, str] = {
    word: category for category, text in _ADJECTIVES.items() for word in text.split()
}
MAX_NOUN_WORDS = max(len(k) for k in GROUP_NOUNS)
# First word of a multi-word noun -> its longest length.
MULTIWORD_FIRST: dict[str, int] = {}
for _key in GROUP_NOUNS:
    if len(_key) > 1:
        MULTIWORD_FIRST[_key[0]] = max(MULTIWORD_FIRST.get(_key[0], 0), len(_key))

# "over 50", "older than 45", "under 25" (ages 16-99), "50-somethings"
AGE_WORDS = frozenset({"over", "above", "under"})
AGE_COMPARATIVES = frozenset({"older", "younger"})


# Words that can start a mention: a text without any of them (and without a slur) mentions no group.
TRIGGERS = frozenset({key[0] for key in GROUP_NOUNS} | set(GROUP_ADJECTIVES) | AGE_WORDS | AGE_COMPARATIVES)


def is_age_number(token: str) -> bool:
    digits = token.removesuffix("s")
    return digits.isdigit() and 16 <= int(digits) <= 99


# --- cues, matched on the model's word tokens of a masked sentence ----------------------------
#
# Each cue is a phrase of one to four tokens (the model's tokenisation: "don't" is one token,
# "sub-human" is three). "grp" stands for a group mention.


def _phrases(text: str) -> frozenset[str]:
    return frozenset(p.strip() for p in text.replace("\n", ",").split(",") if p.strip())


NEG_ATTRIBUTES = _phrases(
    """lazy, stupid, dumb, idiot, idiots, dirty, filthy, violent, greedy, dishonest, untrustworthy,
    inferior, primitive, backward, backwards, ignorant, incompetent, useless, worthless, weak, emotional,
    hysterical, irrational, aggressive, arrogant, rude, loud, smelly, stink, stinks, cheap, stingy, sneaky,
    cunning, corrupt, criminal, criminals, crook, crooks, dangerous, fanatic, fanatics, fanatical,
    brainwashed, uneducated, illiterate, unhygienic, promiscuous, predator, predators, predatory, pervert,
    perverts, perverted, degenerate, degenerates, deviant, deviants, unstable, attention-seeking,
    attention seeking, entitled, selfish, ungrateful, senile, burden, burdens, thief, thieves, steal,
    steals, stealing, liar, liars, lie, terrorist, terrorists, rapist, rapists, drug dealer, drug dealers,
    gangster, gangsters, thug, thugs, scrounger, scroungers, freeloader, freeloaders, cheat, cheats,
    extremist, extremists, unfit, incapable, can't drive, can't lead, can't think, can't cook,
    can't be trusted, can't do math, can't handle, bad at, bad drivers, bad driver, bad with,
    terrible at, terrible drivers, terrible with, terrible leaders, not smart enough, too emotional,
    too sensitive, too old, too stupid, too lazy, too weak, too slow, too dumb, take our jobs, handouts,
    on welfare, welfare, only care about, ruin, ruins, ruined, ruining, destroy, destroys, destroyed,
    destroying, problem, nothing but trouble, never work, never pay, never tell the truth, mentally ill,
    sick, confused, delusional, abomination, sinful, evil, terrible, awful, horrible, bad, worst,
    disgusting, pathetic, can't be reasoned with, creep, creeps, perv, pervs"""
)

GENERALISERS = _phrases(
    """all, every, most, always, never, typical, typically, naturally, inherently, by nature,
    in their blood, in their genes, in their dna, in their nature, they all, all of them,
    each and every, as a rule, that's how they are, everyone knows, you know how, of course, those,
    these"""
)

# A group as the subject of a generic statement: "grp" followed by one of these.
SUBJECT_VERBS = _phrases(
    """are, r, is, were, tend, can't, cannot, won't, will, never, always, don't, just, only, all, really,
    love, hate, should, shouldn't, must, need, have, lack, ruin, steal, take, breed, belong, deserve,
    aren't, smell, get, keep, think, want"""
)

DEHUMANISING = _phrases(
    """animal, animals, vermin, rat, rats, cockroach, cockroaches, roaches, parasite, parasites,
    parasitic, insect, insects, ape, apes, monkey, monkeys, pig, pigs, dog, dogs, beast, beasts,
    subhuman, subhumans, sub-human, sub-humans, not human, not really human, not fully human,
    not even human, less than human, disease, plague, cancer, virus, infest, infests, infested,
    infesting, infestation, swarm, swarms, swarmed, swarming, breed like, breeds like, breeding like,
    filth, trash, garbage, scum, savage, savages, creatures, leeches, locusts, mongrel, mongrels,
    call them human, call grp human, consider them human, not people, not human beings, not persons,
    multiply like, pest, pests"""
)

EXCLUSION = _phrases(
    """don't hire, do not hire, never hire, won't hire, stop hiring, don't rent, never rent, won't rent,
    don't serve, won't serve, never serve, don't promote, never promote, don't employ, don't admit,
    don't accept, don't let, never let, won't let, don't allow, never allow, don't sell, don't trust,
    never trust, don't date, never date, don't marry, never marry, refuse to, not be allowed,
    shouldn't be allowed, should not be allowed, must not be allowed, never be allowed,
    shouldn't be hired, should not be hired, shouldn't be promoted, should not be promoted,
    ban, banned, banning, deport, deported, deporting, exclude, excluded, expel, expelled, kick out,
    kicked out, kick them out, keep out, keep them out, keep away, keep them away, get rid of,
    segregate, segregated, segregation, reject, rejected, screen out, screened out, filter out,
    filtered out, weed out, no grp allowed, grp need apply, need not apply, no grp please,
    not welcome, don't belong, do not belong, go back to, go back where, send them back, send grp back,
    only hire, only rent to, only accept, only serve, only promote, only employ, no place in,
    no place for, kept out, kept away, belong in the kitchen, belongs in the kitchen, barred,
    turn away, turned away, turn them away, fire all, fire the, fire them, fire any, stop grp from,
    stop them from, disqualify, disqualified, don't want, do not want, doesn't want, no business,
    not for grp, shortlist, nobody grp, no one grp, no grp, none of the grp"""
)

VIOLENCE = _phrases(
    """kill, killed, killing, murder, murdered, exterminate, exterminated, extermination, eradicate,
    eradicated, wipe out, wiped out, gas, gassed, lynch, lynched, hang, hanged, shoot, shot, burn,
    burned, burnt, beat up, beaten up, beat them, slaughter, slaughtered, genocide, eliminate,
    eliminated, purge, purged, cleanse, cleansed, deserve to die, should die, be dead, round up,
    rounded up, put down, string them up, death to, hunt down, hunted down, hurt, attack, attacked,
    suffer, in blood, drown, stab, bullet, torch"""
)

META = _phrases(
    """stereotype, stereotypes, stereotyped, stereotyping, stereotypical, myth, myths, racism, racist,
    racists, sexism, sexist, sexists, bigot, bigots, bigoted, bigotry, prejudice, prejudiced,
    prejudices, discriminate, discriminates, discriminated, discrimination, discriminatory,
    discriminating, bias, biased, biases, xenophobia, xenophobic, homophobia, homophobic, transphobia,
    transphobic, islamophobia, islamophobic, antisemitism, antisemitic, anti-semitism, anti-semitic,
    ableism, ableist, ageism, ageist, misogyny, misogynist, misogynistic, hate speech, hate crime,
    hate crimes, hate group, hate groups, slur, slurs, propaganda, debunk, debunked, debunks, false,
    falsely, untrue, not true, no evidence, harmful, offensive, wrong, illegal, illegally, unlawful,
    against the law, equal opportunity, equal opportunities, regardless of, condemn, condemns,
    condemned, challenge, combat, counter, claim that, claims that, claimed that, assume, assumes,
    assumption, assumptions, trope, tropes, narrative, narratives, accuse, accused, accusing,
    so-called, dehumanize, dehumanizing, dehumanization, dehumanise, dehumanising, dehumanisation,
    persecute, persecuted, persecution, oppressed, oppression, holocaust, apartheid, jim crow,
    civil rights, genocide against, victim, victims"""
)

NEGATION = _phrases(
    """not all, aren't all, isn't all, don't all, not always, aren't always, not necessarily,
    isn't true, no more, no less, than anyone, as anyone, just as, nothing to do with, doesn't mean,
    does not mean, are not all, are not always"""
)

REPORTED = _phrases(
    """he said, she said, they said, someone said, somebody said, people said, he says, she says,
    people say, he told, she told, they told, he called, she called, they called, he claimed,
    she claimed, he wrote, she wrote, posted, yelled, called me, called us, called him, called her,
    called them, was told, were told, heard someone, heard people, quote, the sign said,
    the sign read, saying, portray, portrays, portrayed, portrayal, depict, depicts, depicted,
    depiction, describe them as, described them as, describe grp as, described grp as, referred to,
    labeled, labelled, claim, claims, claimed, claiming, post, posts, comment, comments, threat,
    threats, tweet, tweets, leaflet, leaflets, graffiti"""
)

INCLUSIVE = _phrases(
    """welcome, welcomes, welcomed, deserve equal, deserve the same, deserve respect, deserve dignity,
    deserve rights, equal rights, equal pay, equal treatment, proud, celebrate, celebrates, celebrated,
    celebrating, celebration, support, supports, supported, supporting, inclusive, inclusion, diversity,
    value, valued, respect, respected, safe, accessible, accessibility, accommodate, accommodation,
    accommodations, encourage, encouraged, everyone"""
)

EVIDENCE = _phrases(
    """%, percent, per cent, according to, survey, surveys, study, studies, data, census, report,
    reports, research, researchers, statistics, rate, rates, population, estimated"""
)

HISTORY = _phrases(
    """century, centuries, history, historical, historically, during, until, colonial, war, regime,
    era, were forced, were denied, were deported, were sent, were barred, were expelled, were killed,
    were enslaved, were interned, were injured, were attacked, were shot, were murdered,
    were wounded, were targeted, were harassed, were persecuted, were rounded up, were massacred"""
)

REQUEST_VERBS = _phrases(
    "write, draft, generate, give, create, compose, make, list, tell, explain, come, help"
)
IMPERATIVE_VERBS = _phrases(
    """don't, never, ban, keep, kick, get, make, stop, send, deport, kill, reject, filter, screen, only,
    exclude"""
)
LEADING_FILLERS = _phrases("please, so, just, and, now, can, could, you, ok, okay, hey, hi")
QUESTION_WORDS = _phrases("why, how, what, is, are, do, does, can, could, should, would, who, where, when")
