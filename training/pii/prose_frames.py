"""Sentence frames of written prose for ``prose.py``: news reports, sport, business, stories, e-mails,
chat, biographies. Training frames and held-out frames are written separately (different sentences
and structures); both mix people with organisations, places, nationalities, religions and brands in
the positions people take, so that those are learnt (and measured) as non-names.

Slots: ``<P>`` a new person's full name (person), ``<L>``/``<F>`` the surname/given name of the last
``<P>`` (person), ``<G>`` a new person's given name only, ``<S>`` a new person's surname only (after a
title), ``<ADDR>`` a street address (street_address); unlabelled: ``<ORG>``, ``<CITY>``,
``<COUNTRY>``, ``<NAT>`` (adjective), ``<NATS>`` (plural), ``<REL>``, ``<BRAND>``, ``<DAY>``,
``<MONTH>``, ``<N>``.
"""

from __future__ import annotations

TRAIN = r"""
<P> said on <DAY> that the government would not negotiate with the rebels.
"We will not give in," <P>, the <NAT> foreign minister, told reporters in <CITY>.
<NAT> President <P> arrived in <CITY> on <DAY> for two days of talks with <P>.
Prime Minister <P> told parliament that the budget deficit would shrink to <N> percent next year.
The talks in <CITY> were chaired by <P>, a former envoy of <ORG>.
<L> said the agreement was "a step in the right direction" but warned that details remained open.
Police in <CITY> arrested <N> people after clashes near the <NAT> embassy, a spokesman said.
<ORG> said on <DAY> it would cut <N> jobs in <COUNTRY> over the next three years.
Shares in <ORG> rose <N> percent after the company reported higher profits, while <ORG> fell.
<ORG> and <ORG> agreed to merge their <COUNTRY> operations, the companies said in a statement.
Analysts at <ORG> expect the central bank to raise rates again in <MONTH>.
"The market is nervous," said <P>, chief economist at <ORG> in <CITY>.
<P> scored twice as <ORG> beat <ORG> 3-1 on <DAY>.
<NAT> striker <P> was sent off in the <N>th minute and <ORG> held on for a draw.
<P> of <COUNTRY> won the women's 800 metres in a time of two minutes flat.
Defending champion <P> beat <P> 6-3 6-4 to reach the quarter-finals.
<L>, who turned <N> last month, said it was the best match of his career.
The <REL> church in <CITY> was damaged by fire on <DAY>, local officials said.
<N> <REL> pilgrims were injured when a bus overturned near <CITY>.
Thousands of <NATS> marched through <CITY> to protest against the new law.
<COUNTRY> and <COUNTRY> signed a trade agreement worth <N> million dollars.
The <NAT> delegation walked out of the talks, according to <ORG>.
<P>, <N>, a teacher from <CITY>, was among the victims.
The court in <CITY> sentenced <P> to <N> years in prison for fraud.
Lawyers for <P> said they would appeal against the verdict.
<ORG> chairman <P> resigned after the scandal, the board said on <DAY>.
Opposition leader <P> called for early elections.
The film, directed by <P>, won the top prize at the festival in <CITY>.
<P>'s new novel is set in <CITY> during the war.
Born in <CITY> in 1948, <P> studied law at <ORG> before joining the diplomatic service.
<G> grew up in a small village outside <CITY> and moved to <COUNTRY> at the age of <N>.
After graduating, <F> worked for <ORG> for ten years.
<P> (1921-2004) was a <NAT> composer and pianist.
She married <P> in 1975; they had three children.
<P> is survived by his wife, <P>, and two daughters.
Hi <G>, thanks for the update. Can you send the slides to <G> before <DAY>?
Dear <S>, I am writing to confirm your appointment on <DAY> at 10 am.
Dear Ms. <S>,\nthank you for your letter of <N> <MONTH>.\nKind regards,\n<P>
Thanks, <G>! I'll tell <G> you said hello.
hey is <G> coming tonight? <G> said she might be late
I talked to <G> from accounting and she said the invoice from <ORG> was paid.
Can you ask <P> whether the <BRAND> licence has been renewed?
<G> and I are flying to <CITY> on <DAY>.
My grandmother, <P>, lived at <ADDR> for forty years.
Please send the contract to <P>, <ADDR>.
The package for <P> was delivered to <ADDR> on <DAY>.
Our new office is at <ADDR>, next to the station.
The fire broke out at a house at <ADDR> shortly after midnight, police said.
<G> looked out of the window. The rain had stopped and <G> was already waiting by the car.
"Where have you been?" asked <G>. <F> shrugged and said nothing.
Detective <S> knelt beside the body and frowned.
<G> handed the letter to Mrs. <S> and left without a word.
Once upon a time, in a kingdom by the sea, there lived a girl called <G>.
The <NAT> government said <N> soldiers had been killed in fighting near <CITY>.
<ORG> reported a net loss of <N> million euros for the first half.
The <BRAND> was launched in <MONTH> and sold <N> million units.
Fans of <ORG> gathered outside the stadium in <CITY>.
<P>, a spokeswoman for <ORG>, declined to comment.
According to <P>, head of the <NAT> statistics office, inflation slowed in <MONTH>.
The minister, <P>, said the plan would be presented to the cabinet on <DAY>.
<CITY> prosecutors charged <P> and <P> with bribery.
The visit by <P> to <COUNTRY> was the first by a <NAT> leader in a decade.
<COUNTRY>'s <P> leads the standings by <N> points ahead of <P> of <COUNTRY>.
Speaking in <CITY>, <L> said the ceasefire had largely held.
<P> and <P> are expected to meet in <CITY> next month.
Witnesses told <ORG> that the gunmen fled towards <CITY>.
<ORG> will open a plant in <CITY>, creating <N> jobs.
A <NAT> court on <DAY> acquitted <P> of all charges.
The <NATS> won the gold medal, beating the <NATS> in the final.
Mr. <S> told the committee he had never met <P>.
<P> has been appointed chief executive of <ORG>, replacing <P>.
The report was written by <P> and <P> of <ORG>.
"I'm very happy," <L> said after the race.
In a statement, <ORG> said <L> had left the company by mutual agreement.
The <REL> minority in <COUNTRY> has long complained of discrimination.
Rescue workers in <CITY> pulled <N> survivors from the rubble.
<BRAND> sales in <COUNTRY> doubled last year, <ORG> said.
<P> will visit <CITY> and <CITY> next week, his office said.
Heavy rain flooded parts of <CITY> on <DAY>, and <N> people were evacuated.
The <NAT> and <NAT> foreign ministers met in <CITY>.
<ORG> shares closed at <N> pence in <CITY>.
My name is <P> and I am a nurse at <ORG>.
I'm <G>, I work in IT at <ORG>.
Please contact <P> at our <CITY> office for details.
I had lunch with <P> yesterday; she's moving to <CITY>.
Congratulations to <P> on her promotion!
We wish <G> all the best in her new role at <ORG>.
Meeting notes: <G> will prepare the budget, <G> will contact <ORG>.
<P>, <P> and <P> attended the meeting.
The Nobel Prize in Literature was awarded to <P>.
<P> became the first woman to lead <ORG>.
In 1994 <L> moved to <CITY>, where she founded <ORG>.
<ORG> was founded in <CITY> in 1887.
The new <BRAND> costs <N> dollars in <COUNTRY>.
<P>, who chairs the finance committee, said the figures were encouraging.
The ruling coalition, led by <P>, lost its majority.
<P> was elected mayor of <CITY> with <N> percent of the vote.
Former president <P> died on <DAY> at the age of <N>.
The ambassador, <P>, was summoned to the <NAT> foreign ministry.
<P> told <ORG> radio that he had no plans to resign.
<P> flew back to <CITY> on <DAY> after meeting <P> in <CITY>.
Earlier on <DAY>, <P> had urged both sides to show restraint.
Asked about the deal, <L> said: "We are not there yet."
On <DAY>, <P> announced his retirement from international football.
Last year <P> sold his stake in <ORG> to <P>.
<P> denied the charges, saying he had acted in good faith.
When <P> arrived in <CITY>, the talks had already collapsed.
<P>, <P> and <ORG> were named in the lawsuit filed in <CITY>.
The book, by <NAT> historian <P>, describes life in <CITY> under occupation.
Unlike <P>, <P> has never held public office.
Supporters of <P> rallied in <CITY> on <DAY>.
It was <L>'s third title in <CITY>.
<L> and <L> were both at the dinner in <CITY>.
<P> leads <ORG>, which employs <N> people in <COUNTRY>.
Sources close to <P> said he would not attend the summit in <CITY>.
The plan was drawn up by <P>, a senior adviser to the <NAT> prime minister.
Asked whether he would run again, <P> smiled and said he had not decided.
A statement from <P>'s office said the meeting in <CITY> had been postponed.
Following the decision, <P> thanked <ORG> and the people of <CITY>.
Rebels loyal to <P> seized the airport in <CITY> on <DAY>.
<G> from <ORG> called, she needs the figures by <DAY>.
ok so <G> and <G> are coming, <G> can't make it
Reporting by <P> in <CITY>; editing by <P>.
<G> said the train was late again.
<G> thinks we should book the hotel in <CITY> now.
After the meeting <G> went back to <ORG>.
When the war ended <G> moved to <CITY> with her parents.
<G> will be at the <CITY> office on <DAY>.
Later that year <G> married <G>, a doctor from <CITY>.
"""

EVAL = r"""
Speaking to reporters on <DAY>, <P> denied that the government had lost control of the north.
The <NAT> finance minister, <P>, said the currency would remain stable.
<P> flew to <CITY> for talks with <ORG> officials, an aide said.
Officials said <L> would return to <CITY> on <DAY>.
<ORG> cut its forecast for the year, sending its shares down <N> percent in <CITY>.
Profits at <ORG> fell in the third quarter while <ORG> raised its dividend.
"It was a difficult year," chief executive <P> told shareholders.
<P> headed in the winner for <ORG> in stoppage time.
<ORG> coach <P> said his team deserved the win.
<P> of <COUNTRY> took the lead in the final round.
<N> <REL> schools were closed after the attack, officials in <CITY> said.
The <REL> bishop of <CITY> called for calm.
<NATS> living in <COUNTRY> were advised to stay indoors.
<COUNTRY> recalled its ambassador from <COUNTRY> on <DAY>.
A judge in <CITY> ordered <P> to pay damages to <P>.
<P>, 34, was charged with murder, police said.
The novelist <P> read from her new book in <CITY>.
<P> was born in <CITY> and studied music in <COUNTRY>.
After the war <F> returned to <CITY> and worked as a journalist.
Hello <G>, could you check the figures before <DAY>? Thanks, <G>
Dear Mr. <S>, please find attached the revised offer.
<G> said she'll be at the <ORG> office all week.
lol <G> just sent me the photos from <CITY>
Please forward the documents to <P> at <ADDR>.
The suspect was arrested at his flat at <ADDR> on <DAY>.
Send the parcel to <ADDR>, attention <P>.
<G> smiled and closed the door behind her.
"We have to go," whispered <G>.
<ORG> and <ORG> will jointly bid for the contract, sources said.
Exports from <COUNTRY> to <COUNTRY> rose <N> percent in <MONTH>.
The <NAT> army said <N> militants were killed near <CITY>.
<P> won the presidential election in <COUNTRY> with <N> percent of the vote.
<P>, a lawyer for the family, said they were considering an appeal.
The <BRAND> update will be released in <MONTH>, <ORG> said.
Supporters of <ORG> celebrated in the streets of <CITY>.
<P> has denied the allegations, his lawyer said.
Interior Minister <P> said security would be tightened in <CITY>.
<P> and her husband <P> run a small hotel in <CITY>.
<ORG> said <P> would take over as chairman in <MONTH>.
The <NAT> team, led by <P>, arrived in <CITY> on <DAY>.
Thanks to <P> for organising the trip to <CITY>!
The grant was awarded to <P> of <ORG>.
<P> visited <P> in hospital on <DAY>.
<CITY> mayor <P> opened the new bridge on <DAY>.
The prize was shared by <P> and <P>.
"""

# Texts without a person or address, in both splits' style: organisations, places and products in
# the positions people take, recipes, quantities, configuration and code.
NEGATIVE_TRAIN = r"""
<ORG> said on <DAY> it would appeal against the ruling.
<ORG> beat <ORG> 2-0 in <CITY> on <DAY>.
<COUNTRY> will host the summit in <MONTH>, the foreign ministry in <CITY> said.
<NAT> troops entered <CITY> on <DAY>.
<N> <REL> pilgrims arrived in <CITY> for the festival.
Man stole pigs from a farm near <CITY>, police say.
Woman jailed for selling fake <BRAND> phones in <CITY>.
<ORG> while <ORG> gained after the results.
Shares of <ORG> and <ORG> rose in early trading in <CITY>.
Markets in <CITY> and <CITY> were closed for the holiday.
The <NAT> economy grew <N> percent in the second quarter.
Bake at 350 for 25 minutes, then let it cool.
Cross over the bridge and turn left at the church.
Stir in 1 egg and 1 tsp vanilla.
Preheat the oven to 180C. Mix 2 cups flour with 1 tsp baking powder.
Add 3 tbsp olive oil, 2 cloves garlic and 1 onion, chopped.
Heat the pan, add 200 g butter and 100 g sugar, and whisk until pale.
Whisk 4 eggs with 250 ml milk and a pinch of salt.
Serves 4. Prep time 15 minutes. Cook time 40 minutes.
Take 2 tablets twice a day with water.
Turn right at the second light and continue for 3 miles.
Sets: 3 x 12 squats, 3 x 10 push ups, 2 x 60 s plank.
Chapter 12 covers linear algebra; Chapter 13 covers probability.
Room 204 is on the second floor, next to Lab 3.
Section 5 Article 2 of the Treaty applies.
Version 2 Release Notes: Fixed crash on startup.
The <REL> community in <CITY> celebrated Easter.
<NATS> and <NATS> fought side by side in the Second World War.
Apple Pie Recipe: 6 apples, 1 cup sugar, 2 tbsp butter.
Total: 14 Items, 3 Boxes, 2 Pallets.
The Red Cross sent 12 trucks of supplies to <CITY>.
Lower the heat and simmer for 20 minutes.
Bring to the boil, then reduce to a simmer.
<ORG> fell <N> percent in <CITY> after <ORG> cut its rating.
Fighting broke out near <CITY> and spread to <CITY> overnight.
The <NAT> president arrived in <CITY> late on <DAY>.
Flights from <CITY> to <CITY> were cancelled because of fog.
<ORG> striker signs for <ORG> in record deal.
<COUNTRY> beat <COUNTRY> on penalties to reach the final in <CITY>.
The <REL> bishop of <CITY> met the <NAT> ambassador.
Most <NATS> support the <ORG> plan, a poll by <ORG> showed.
"""
NEGATIVE_EVAL = r"""
<ORG> rejected the offer from <ORG> on <DAY>.
<CITY> beat <CITY> 3-1 in the cup final.
<N> <REL> churches were closed during the lockdown.
<ORG> while <ORG> fell after the report.
Man arrested after chase through <CITY>.
<NAT> police seized <N> kilos of cocaine in <CITY>.
Beat 2 eggs with 1 tbsp sugar. Fold into the batter.
Bake for 40 minutes at 200C until golden.
Mix 1 egg, 1 tsp vanilla and 1 cup milk.
Cross over at the lights and follow the river.
Add 1 tsp salt, 2 tsp cumin and 1 can tomatoes.
Take 1 tablet every 8 hours.
The <BRAND> costs <N> euros in <COUNTRY>.
"""
