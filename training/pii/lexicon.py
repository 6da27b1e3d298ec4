"""The project's own additions to presidio-research's generator inputs.

- names of cultures the generator's 3,000 identities lack (East/South/South-East Asian, Arabic,
  Persian, Turkish, African, Hispanic, Slavic, Hebrew...), as (given names, surnames);
- street names and types in several languages, secondary address units;
- sentence templates in the generator's ``{{slot}}`` syntax: assistant prompts, forms, records,
  e-mails, code and config, in the formats an AI gateway sees;
- negative sentences: capitalised common nouns, products, places, titles, code identifiers.

Everything here is split into a training and a held-out half by ``render.py`` (templates by a
seeded shuffle, names and streets by a hash), so evaluation uses names, streets and templates the
model never saw.
"""

from __future__ import annotations

GIVEN_NAMES = """
Wei Jing Li Na Yang Min Hui Xiu Ying Jun Hao Lei Tao Yan Fang Bo Chen Xin Yu Zhen Qiang Lan Mei Jian
Hiroshi Yuki Haruto Sakura Takeshi Aiko Kenji Yumi Ren Hana Daichi Emi Sora Akira Naoko Shota Riko
Min-jun Seo-yeon Ji-ho Ha-eun Do-yun Ji-woo Hyun-woo Soo-ah Jae-won Eun-ji Tae-yang Ye-jin
Anh Minh Thu Linh Duc Hoa Quang Trang Tuan Huong Bao Ngoc Khanh Phuong Long Mai
Priya Rahul Arjun Ananya Vikram Sneha Rohan Kavya Aditya Deepika Suresh Lakshmi Anil Pooja Ravi Neha
Sanjay Meera Karthik Divya Amit Shreya Rajesh Sunita Ishaan Aarav Diya Farhan Imran Ayesha Bilal
Mohammed Ahmed Fatima Omar Aisha Yusuf Layla Hassan Zainab Khalid Mariam Ali Noor Tariq Huda Karim
Samira Nabil Rania Walid Salma Hamza Leila Youssef Amira Mustafa Yasmin Ibrahim Hoda Faisal Dalia
Reza Shirin Dariush Parisa Kamran Niloufar Arash Mahsa Babak Roya
Mehmet Ayse Emre Zeynep Burak Elif Can Selin Murat Deniz Ozan Ebru
Chinedu Amara Ngozi Emeka Oluwaseun Funmilayo Kwame Akosua Kofi Abena Thabo Lerato Sipho Nomvula
Tendai Rudo Wanjiru Kamau Njeri Otieno Achieng Abebe Tigist Dawit Selam Moussa Aminata Ousmane Fatou
Jose Maria Carlos Lucia Javier Sofia Alejandro Valentina Diego Camila Mateo Isabella Santiago Ximena
Joao Ana Pedro Beatriz Tiago Mariana Rafael Leticia Gonzalo Paula Andres Catalina Ignacio Florencia
Dmitri Olga Sergei Natasha Ivan Svetlana Alexei Tatiana Nikolai Irina Pavel Yelena Andrei Oksana
Piotr Agnieszka Tomasz Katarzyna Krzysztof Magdalena Bogdan Ludmila Milos Jelena Dragan Vesna
Noam Tamar Yosef Shira Avi Noa Eitan Yael Moshe Rivka
Siosaia Mele Tevita Aroha Manaia Kalani Keoni Leilani
Budi Siti Agus Dewi Putu Made Rizal Intan Joko Wulan Arief Sari
Jose Maricel Rodel Jasmine Marvin Rowena Jericho Angelica
Nikos Eleni Giorgos Katerina Dimitris Sofia Yannis Maria
Liam Olivia Noah Emma Oliver Ava Elijah Charlotte James Amelia Lucas Mia Mason Harper Ethan Evelyn
Aiden Abigail Logan Emily Jackson Ella Sebastian Scarlett Jack Grace Owen Chloe Wyatt Zoe Leo Nora
Declan Siobhan Niamh Ciaran Aoife Padraig Eilidh Hamish Morag Rhys Cerys Dafydd Bronwen
Bjorn Astrid Sven Ingrid Lars Freya Nils Sigrid Henrik Maja
Kai Luca Finn Mila Emil Lena Jonas Leonie Felix Hannah Matteo Giulia Lorenzo Chiara Pierre Camille
Rose Grace Hope Faith Joy Dawn Summer Amber Ivy Daisy Jack Will Bill Mark Hunter Chase Rich Cash
"""

SURNAMES = """
Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Lin Gao Luo Zheng Liang Xie Tang
Sato Suzuki Takahashi Tanaka Watanabe Ito Yamamoto Nakamura Kobayashi Kato Yoshida Yamada Sasaki Inoue
Kim Lee Park Choi Jung Kang Cho Yoon Jang Lim Han Shin Seo Kwon Hwang
Nguyen Tran Le Pham Hoang Phan Vu Dang Bui Do Ho Ngo Duong Ly
Sharma Gupta Patel Singh Kumar Reddy Iyer Nair Menon Rao Joshi Mehta Desai Chopra Kapoor Malhotra
Banerjee Chatterjee Mukherjee Bose Das Pillai Krishnan Verma Agarwal Bhat Khan Qureshi Siddiqui Chaudhry
Al-Farsi Haddad Nasser Khalil Mansour Saleh Hamdan Aziz Rahman Hussain Abdullah Al-Sayed El-Amin Farouk
Bakr Darwish Haddad Jaber Kassem Masri Najjar Sabbagh Toure Diallo Traore Keita Ndiaye Sow Ba Cisse
Ahmadi Hosseini Karimi Rezaei Moradi Jafari Tehrani Sadeghi Yilmaz Kaya Demir Sahin Celik Yildiz Aydin
Okafor Nwosu Adeyemi Okonkwo Balogun Mensah Owusu Asante Boateng Nkosi Dlamini Mokoena Ndlovu Khumalo
Mwangi Otieno Kariuki Wanjiku Omondi Kamau Tesfaye Bekele Haile Girma Abara
Garcia Rodriguez Martinez Hernandez Lopez Gonzalez Perez Sanchez Ramirez Torres Flores Rivera Gomez
Diaz Reyes Morales Cruz Ortiz Gutierrez Chavez Ramos Ruiz Alvarez Mendoza Castillo Jimenez Moreno
Silva Santos Oliveira Souza Costa Pereira Ferreira Almeida Carvalho Ribeiro Barbosa Araujo Nascimento
Ivanov Smirnov Kuznetsov Popov Sokolov Lebedev Kozlov Novikov Morozov Petrov Volkov Solovyov Vasiliev
Kowalski Nowak Wisniewski Wojcik Kaminski Lewandowski Zielinski Szymanski Petrovic Jovanovic Horvat
Cohen Levi Mizrahi Peretz Biton Friedman Katz Goldberg Rosen Shapiro
Fifita Tupou Taufa Ngata Parata Kealoha Kahale
Santoso Wijaya Kusuma Hidayat Pratama Saputra Setiawan Gunawan
Dela Cruz Reyes Bautista Villanueva Aquino Mendoza
Papadopoulos Georgiou Nikolaidis Pappas Vlahos
Murphy Kelly O'Sullivan Walsh O'Brien McCarthy Byrne Ryan O'Connor MacDonald Campbell Stewart Fraser
Evans Davies Hughes Price Morgan Jones Williams Thomas Roberts
Johansson Andersson Nilsson Larsson Eriksson Lindqvist Hansen Jensen Nielsen Berg Haugen
Muller Schmidt Schneider Fischer Weber Meyer Wagner Becker Hoffmann Rossi Russo Ferrari Esposito
Bianchi Romano Colombo Ricci Dubois Lefebvre Moreau Laurent Girard Bonnet Fontaine
Baker King Young Hill Wood Stone Brooks Fox Bell Rivers Day Summers Winter Frost Price Church
"""

# Street base names and types by style; ``render.py`` splits the base names into train/eval halves.
STREET_BASES_EN = """
Oak Maple Cedar Pine Elm Birch Willow Walnut Chestnut Hickory Magnolia Juniper Spruce Aspen Poplar
Main Church Mill Park Lake Hill River Spring Sunset Highland Meadow Forest Valley Ridge Orchard Harbor
Washington Lincoln Jefferson Madison Franklin Jackson Adams Monroe Grant Wilson Hamilton Kennedy Roosevelt
Broad Market High Bridge Station Victoria Albert Queen King Princess Castle Abbey Chapel Manor Mount
Cherry Laurel Holly Ivy Rose Lilac Heather Fern Clover Primrose Bluebell Foxglove Daffodil
Canyon Prairie Bayview Seaview Lakeview Brookside Riverside Fairview Glenwood Greenwood Westwood Oakwood
Peachtree Cypress Sycamore Redwood Mulberry Dogwood Hawthorn Linden Alder Beech Sequoia
Mission Pacific Atlantic Columbia Carolina Georgia Virginia Dakota Colorado Nevada Montana Vermont
Wellington Kingsley Ashford Bradford Chesterfield Hartford Hampton Preston Stratford Windsor Somerset
"""
STREET_TYPES_EN = [
    "Street",
    "St",
    "St.",
    "Avenue",
    "Ave",
    "Ave.",
    "Road",
    "Rd",
    "Rd.",
    "Boulevard",
    "Blvd",
    "Lane",
    "Ln",
    "Drive",
    "Dr",
    "Dr.",
    "Court",
    "Ct",
    "Way",
    "Place",
    "Pl",
    "Terrace",
    "Circle",
    "Cir",
    "Parkway",
    "Pkwy",
    "Highway",
    "Hwy",
    "Square",
    "Sq",
    "Trail",
    "Crescent",
    "Close",
    "Grove",
    "Gardens",
    "Row",
    "Mews",
]
STREET_DIRECTIONS = ["N", "S", "E", "W", "North", "South", "East", "West", "NE", "NW", "SE", "SW"]

# (pattern, base names) for non-English styles; {n} = number, {b} = base name.
STREET_STYLES_INTL: list[tuple[str, str]] = [
    (
        "{b}straße {n}",
        "Haupt Bahnhof Schiller Goethe Linden Berliner Garten Kirch Schul Ring Wald Rosen Post Dorf Mozart",
    ),
    ("{b}strasse {n}", "Bahnhof See Zürcher Berner Dorf Kirch Sonnen Berg Wiesen Feld"),
    ("{b}weg {n}", "Birken Eichen Mühlen Sonnen Tannen Buchen Kastanien Holunder"),
    (
        "{n} rue {b}",
        "de la Paix|Victor Hugo|du Commerce|de la République|des Lilas|Saint-Michel|Pasteur|de Rivoli|Jean Jaurès|des Écoles",
    ),
    ("{n}, avenue {b}", "Foch|de la Gare|des Champs|Général Leclerc|du Maine|Jean Moulin"),
    ("Calle {b} {n}", "Mayor|de Alcalá|del Sol|Real|de la Luna|Gran Vía|San Vicente|de Goya|Serrano|Colón"),
    ("Avenida {b}, {n}", "de la Constitución|Libertad|Reforma|Paulista|Atlântica|da Liberdade|Insurgentes"),
    ("Rua {b}, {n}", "Augusta|das Flores|do Carmo|Oscar Freire|da Consolação|São Bento|dos Andradas"),
    ("Via {b} {n}", "Roma|Garibaldi|Mazzini|Dante|Verdi|Cavour|del Corso|Nazionale|Manzoni|Marconi"),
    ("Viale {b} {n}", "dei Mille|Europa|Trastevere|Monza|Certosa"),
    ("{b}straat {n}", "Kerk|Molen|Hoog|Dorps|Stations|School|Kalver|Prinsen|Linden|Nieuwe"),
    ("{b}gracht {n}", "Keizers|Heren|Prinsen|Singel|Oude"),
    ("{b}gatan {n}", "Drottning|Kungs|Stor|Sveavägen|Hamn|Skol|Kyrko"),
    ("{b}gade {n}", "Nørre|Vester|Øster|Store Kongens|Bred|Amager"),
    ("{b}veien {n}", "Stor|Kirke|Skole|Strand|Fjord"),
    ("ul. {b} {n}", "Długa|Krakowska|Mickiewicza|Słowackiego|Piękna|Marszałkowska|Kościuszki|Polna"),
    ("{b} {n}", "Národní|Vodičkova|Karlova|Nerudova|Dlouhá|Masarykova"),
    ("{b} utca {n}", "Váci|Andrássy|Király|Petőfi|Kossuth|Rákóczi"),
    ("{b}katu {n}", "Mannerheimin|Aleksanterin|Hämeen|Kauppa|Koulu|Rauhan"),
    ("ulitsa {b}, d. {n}", "Lenina|Tverskaya|Arbat|Pushkina|Gagarina|Sadovaya"),
    ("{n} {b} Marg", "Nehru|Gandhi|Tilak|Patel|Netaji Subhash"),
    ("{n}, {b} Road", "MG|Brigade|Residency|Linking|Anna Salai|Park Street"),
    ("{n} Jalan {b}", "Sudirman|Thamrin|Gatot Subroto|Merdeka|Ampang|Bukit Bintang"),
    ("{n} Đường {b}", "Lê Lợi|Nguyễn Huệ|Trần Hưng Đạo|Hai Bà Trưng"),
    ("{b}-dori {n}", "Omotesando|Chuo|Meiji|Yasukuni|Aoyama"),
    ("{n} Sheikh {b} Road", "Zayed|Rashid|Khalifa"),
    ("{n} {b} Street", "Tahrir|Hamra|Rue Monot|King Faisal|Olaya"),
]

SECONDARY = [
    "Apt. {n}", "Apt {n}", "Apartment {n}", "Suite {n}", "Ste {n}", "Unit {n}", "Flat {n}", "Floor {n}",
    "Room {n}", "#{n}", "Apt. {n}{l}", "Unit {n}{l}", "Bldg {l}", "PO Box {n}", "Building {n}",
]  # fmt: skip

TITLES_MALE = ["Mr.", "Mr", "Dr.", "Prof.", "Sir", "Mister"]
TITLES_FEMALE = ["Mrs.", "Ms.", "Ms", "Miss", "Dr.", "Prof.", "Madam"]

# Project templates. Slots: those of presidio's generator plus {{street_address}} (street line
# only), {{passport}}, {{mac_address}}, {{full_name_lower}} is not needed (case is augmented).
TEMPLATES = r"""
Draft a polite reminder email to {{person}} about the overdue invoice.
Can you summarise this note from {{first_name}}? She says the parcel never arrived at {{address}}.
Translate into French: My name is {{person}} and I live at {{address}}.
Write a short cover letter for {{person}} applying for the {{job}} role at {{organization}}.
Please update the CRM record. Name: {{person}}, email: {{email}}, phone: {{phone_number}}.
My mother {{person}} needs a refill of her prescription, her date of birth is {{date_of_birth}}.
Ship the order to {{person}}, {{address}}.
I'm {{first_name}}, {{age}}, and I need advice on refinancing my mortgage.
Rewrite this more formally: hey {{first_name}}, can u send the docs to {{email}} asap
Fix the grammar: {{person}} have went to the store on {{street_address}} yesterday.
Generate a welcome message for our new hire {{person}} who starts on Monday in the {{city}} office.
The customer {{person}} called from {{phone_number}} and asked to change the delivery address to {{address}}.
Summarize the complaint: "I, {{person}}, ordered a laptop that was delivered to {{street_address}} but the box was empty."
Extract the fields from this text: {{person}} lives at {{address}} and can be reached at {{phone_number}}.
Is this a phishing email? "Dear {{first_name}}, your account will be closed. Confirm your card {{credit_card_number}} now."
Help me reply to {{first_name}} {{last_name}}, who wants a refund for order 48213.
Name: {{person}}\nDate of birth: {{date_of_birth}}\nSSN: {{ssn}}\nAddress: {{address}}
Full name: {{person}}\nEmail: {{email}}\nMobile: {{phone_number}}
{{person}},{{email}},{{phone_number}},{{city}}
"{{person}}","{{street_address}}","{{city}}","{{zipcode}}"
{"name": "{{person}}", "email": "{{email}}", "address": "{{address}}"}
{"customer": {"first_name": "{{first_name}}", "last_name": "{{last_name}}", "phone": "{{phone_number}}"}}
customer:\n  name: {{person}}\n  street: {{street_address}}\n  city: {{city}}
INSERT INTO customers (name, address) VALUES ('{{person}}', '{{street_address}}');
user = User(name="{{person}}", email="{{email}}")
Hi {{first_name}},\n\nThanks for your help with the migration last week.\n\nBest regards,\n{{person}}\n{{job}}, {{organization}}
Dear {{prefix_male}} {{last_name}},\n\nWe received your application and will be in touch soon.\n\nKind regards,\n{{person}}
Dear {{prefix_female}} {{last_name}}, your appointment is confirmed for Tuesday at 10am.
From: {{person}} <{{email}}>\nTo: {{person}} <{{email}}>\nSubject: Quarterly numbers
Patient {{person}}, DOB {{date_of_birth}}, was admitted with chest pain and discharged the next day.
Employee {{person}} (ID 48213) transferred from the {{city}} branch to headquarters.
The tenant, {{person}}, residing at {{address}}, agrees to pay rent on the first of each month.
{{person}} met {{first_name}} at a cafe on {{street_name}} last summer.
Yesterday {{first_name}} and I drove to {{city}} to see her parents.
Please send the contract to {{person}} at {{building_number}} {{street_name}}, {{city}}, {{state_abbr}} {{zipcode}}.
Our new office is at {{street_address}}, {{postcode}} {{city}}.
Deliver to: {{person}}\n{{street_address}}\n{{postcode}} {{city}}\n{{country}}
c/o {{person}}, {{address}}
Return address: {{address}}
Can you find a good pizza place near {{street_address}}?
How long does it take to walk from {{street_address}} to the train station?
My landlord {{person}} refuses to fix the heating at {{street_address}}. What are my rights?
Write a birthday poem for my grandmother {{first_name}}.
Remind me to call {{first_name}} tomorrow at 5.
Who is {{person}}? I found the name in an old letter.
Book a table for four under the name {{last_name}}.
Add {{person}} ({{email}}) to the project channel.
The package for {{first_name}} {{last_name}} was left with the neighbour at {{street_address}}.
Invoice to: {{organization}}, attn. {{person}}, {{address}}
Emergency contact: {{person}} ({{phone_number}})
Beneficiary: {{person}}, IBAN {{iban}}
Please wire the deposit to {{iban}} (account holder: {{person}}).
Card holder: {{person}}\nCard number: {{credit_card_number}}\nExpiry: 04/27
My SSN is {{ssn}} and my name is {{person}}, please verify my identity.
The server at {{ip_address}} keeps rejecting logins from {{person}}.
Our contractor {{person}} will visit {{address}} between 9 and 11.
Signed, {{person}}
Thanks, {{first_name}}
cheers, {{first_name}}
-- {{person}}, {{job}}
I spoke with {{person}} from {{organization}} and she confirmed the price.
{{person}} and {{person}} are getting married in {{city}} next June.
According to {{person}}, the report will be ready by Friday.
{{first_name}}'s flight lands at 6pm, can you pick her up?
Set up a meeting between {{person}} and {{person}} next week.
Please forward my mail to {{address}} until the end of the month.
I used to live at {{street_address}} but moved to {{city}} last year.
Write a LinkedIn recommendation for {{person}}, who worked with me at {{organization}}.
Transcript: AGENT: Can I have your name? CALLER: It's {{person}}. AGENT: And your address? CALLER: {{address}}.
My passport number is {{passport}} and it expires next year.
Passport: {{passport}}, nationality {{nationality}}
The device with MAC address {{mac_address}} is not getting an IP.
My driver's license number is {{us_driver_license}}, issued in {{state_abbr}}.
DL# {{us_driver_license}}
Born on {{date_of_birth}} in {{city}}, {{person}} studied law.
Please verify: name {{person}}, DOB: {{date_of_birth}}.
Contact {{first_name}} on {{phone_number}} or at {{email}}.
Mail the cheque to {{street_address}}, {{city}} {{zipcode}}, attention of {{person}}.
{{person}} ({{age}}) was elected mayor of {{city}}.
The lead author, {{person}}, thanks {{person}} for comments on an earlier draft.
Assignee: {{person}}\nReporter: {{person}}\nStatus: In Progress
commit 3f2a9c1\nAuthor: {{person}} <{{email}}>\nDate: Mon Mar 4 10:15:00 2024\n\n    Fix null check in parser
{{person}} wrote: "I will be out of office until Monday."
I need a reference letter for {{person}}, my former student.
We are sorry to hear that {{first_name}} is unwell.
What should I get {{first_name}} for Christmas? He likes hiking.
Please cancel the subscription for {{person}}, account email {{email}}.
The apartment at {{street_address}} has two bedrooms and a balcony.
Meet {{first_name}} at the corner of {{street_name}} and {{street_name}}.
Hello, I am {{person}} and I want to dispute a charge on card {{credit_card_number}}.
i am {{person}} and my number is {{phone_number}}
my name is {{first_name}} {{last_name}} and i live at {{address}}
can you text {{first_name}} that i'm running late
tell {{first_name}} the meeting moved to 3pm
whats the zip code for {{street_address}} in {{city}}
Witness statement of {{person}}, of {{address}}.
The account belongs to {{person}}; the statement goes to {{address}}.
Recipient: {{person}} | Phone: {{phone_number}} | Address: {{address}}
Name | Email | Phone\n{{person}} | {{email}} | {{phone_number}}\n{{person}} | {{email}} | {{phone_number}}
Attendees: {{person}}, {{person}}, {{person}} and {{person}}.
Ask {{person}} in accounting, she handles the reimbursements.
{{first_name}}: are we still on for lunch?\n{{first_name}}: yes, 12:30 at the usual place
Property listing: {{street_address}}, {{city}}. 3 bed, 2 bath, garden.
The suspect, identified as {{person}}, {{age}}, of {{street_address}}, was arrested on Friday.
Condolences to the family of {{person}}, who passed away peacefully at home.
Please change the billing name on my account from {{person}} to {{person}}.
Hi, this is {{first_name}} from the {{city}} store, calling about your repair.
"""

NEGATIVES = r"""
Apple released the new iPhone in September and the Pro Max sold out in hours.
Paris is beautiful in Spring, especially along the Seine.
The Great Wall of China is visible from many viewpoints near Beijing.
Our Quarterly Business Review is scheduled for Monday morning.
Please review the Pull Request for the Payment Service before Friday.
Set the Temperature to 0.7 and the Max Tokens to 512 in the Model Settings.
Capitalized words like Wisdom, Courage and Discipline are often mistaken for names.
Microsoft Teams was down for an hour, so we used Zoom instead.
Use the Google Maps API to compute the distance between two points.
The Amazon River flows through Peru, Colombia and Brazil.
Happy New Year from all of us at the Marketing Department!
I loved reading The Lord of the Rings and watching Star Wars as a kid.
Mount Everest is the highest mountain above sea level.
Silicon Valley startups raised less money this quarter than last year.
The Berlin Wall fell in November 1989.
We deployed Kubernetes on AWS with Terraform and Helm.
Explain the difference between TCP and UDP in simple terms.
What is the capital of Australia? Is it Sydney or Canberra?
Write a Python function that reverses a linked list.
Summarize the plot of Pride and Prejudice in three sentences.
The Federal Reserve raised interest rates by a quarter point.
Our Customer Success team will reach out after the Onboarding Call.
The Golden Gate Bridge was painted International Orange.
Order the Chicken Tikka Masala and a Mango Lassi, please.
Tesla unveiled the Model Y Performance at the Shanghai Auto Show.
The Premier League season starts in August; Arsenal play Liverpool first.
Install Visual Studio Code and the Python extension.
The Pacific Ocean is larger than all land masses combined.
Black Friday deals on the PlayStation 5 and the Nintendo Switch start tonight.
Read the Terms of Service and the Privacy Policy before signing up.
The Eiffel Tower, the Louvre and Notre-Dame are the most visited sites in Paris.
Our Head of Engineering approved the Q3 Roadmap.
Christmas Eve falls on a Tuesday this year.
The Sahara Desert covers most of North Africa.
Add a Dark Mode toggle to the Settings Page.
The World Health Organization published new guidelines on Tuesday.
Buy milk, eggs, Greek Yogurt and Sourdough Bread.
Windows Update failed with error 0x80070005 again.
The Supreme Court will hear the case in October.
Mercury, Venus, Earth and Mars are the rocky planets.
Compare PostgreSQL and MySQL for a read-heavy workload.
Please schedule the Annual General Meeting for the second week of May.
The Rolling Stones played Hyde Park in 1969.
SELECT first_name, last_name, street FROM customers WHERE id = 42;
class StreetAddress(BaseModel):\n    line1: str\n    city: str
def get_user(name: str) -> User:\n    return db.query(User).filter_by(name=name).first()
const fullName = `${user.firstName} ${user.lastName}`;
Our Main Street location is closed for renovation.
The Grand Canyon is in Arizona.
Lake Tahoe is on the border of California and Nevada.
The United Nations General Assembly meets in New York every September.
I need a recipe for Beef Wellington and Yorkshire Pudding.
Set up Single Sign-On with Okta and Azure Active Directory.
The Nile is often said to be the longest river in the world.
Thank you for contacting Customer Support. A Representative will be with you shortly.
Please Note: The Office will be closed on Labor Day.
Our Spring Sale ends Sunday at midnight.
Read Chapter Seven of Thinking, Fast and Slow before the seminar.
Hello World! Welcome to the Internet.
The Sales Report shows Revenue up and Churn down.
The Rocky Mountains stretch from Canada to New Mexico.
Good Morning Team, the Daily Standup is moved to 10am.
Visit the Grand Bazaar in Istanbul and the Blue Mosque.
Jupiter has dozens of moons, including Europa and Ganymede.
My favourite band is Radiohead and my favourite album is OK Computer.
Please add Unit Tests for the Checkout Flow.
Hurricane Season officially begins on June 1.
How do I make a Margherita Pizza at home?
The Dow Jones and the Nasdaq both closed higher on Wednesday.
Can Bitcoin and Ethereum be used to pay taxes?
Which is better for beginners, Python or JavaScript?
What are the symptoms of Vitamin D deficiency?
The Sydney Opera House opened in 1973.
Set Justify Text to Left and Font to Times New Roman.
The Red Cross and Doctors Without Borders sent teams to the region.
We hiked the Appalachian Trail from Georgia to Virginia.
Brave New World and Nineteen Eighty-Four are dystopian novels.
Open the Control Panel and choose Network and Sharing Center.
The Tour de France finishes on the Champs-Elysees.
The meeting room on the Third Floor is called Everest.
Sign in with your Company Account to access the Dashboard.
Victoria Station is a short walk from Buckingham Palace.
The Hubble Space Telescope has been in orbit since 1990.
"""

# Frames for composed templates (``render.compose_templates``): a name or an address in many
# everyday positions, and the same positions filled with things that are not personal data.
PERSON_BEFORE = """
I met|please call|send this to|we just hired|talk to|I got a message from|this is from|thanks to|the report
by|can you ask|tell|set up a meeting with|I had lunch with|my manager|my doctor, Dr.|my neighbour|our new
CEO|the author|the patient|the applicant|my friend|my colleague|my daughter|her husband|his wife|signed by
|approved by|assigned to|reviewed by|cc:|attn:|invite|introduce me to|follow up with|the account of|contact
person:|customer name:|passenger:|guest:|employee:|student:|from:|to:|dear|hello|hi|congratulations to
|happy birthday to|a letter for|the parcel for|the invoice for|a table for|a booking under|the case of|on
behalf of|according to|interview with|a call with|an email from|I was talking to|we owe|I miss|say hi to
|condolences to|a reference for|forward it to|reply to|my lawyer|our landlord|the tenant|the driver|my
teacher|professor|coach|senator|the plaintiff|the defendant|witness|the victim|the suspect|nurse|agent
|officer|captain|pastor|uncle|aunt|grandma|my son|my cousin|her boss|our intern|the new hire|user|owner:
|holder:|beneficiary:|recipient:|sender:|requested by|prepared by|written by|directed by|starring|featuring
|photo by|translated by|presented by|hosted by|organised by|in memory of|dedicated to|shout-out to
"""
PERSON_AFTER = """
.| yesterday.| about the contract.| tomorrow at 10.| as soon as possible.|?| and let me know.| for the Q3
review.|, thanks!| please.| when you can.| regarding the invoice.| before Friday.| about the refund.|!
| again.| next week.| this morning.| at the airport.| in the lobby.| after lunch.| on Monday.|, who will
help you.| (she/her).| (he/him).| and the team.| to discuss the budget.|, PhD.| - urgent.| about my
appointment.| for dinner.| over the weekend.
"""
PERSON_SUBJECT = """
said the shipment is late.|will join the call.|wrote the first draft.|has been promoted to director.
|asked for a refund.|is out sick today.|called twice this morning.|lives in {{city}}.|works at
{{organization}}.|left the company in {{year}}.|approved the budget.|thinks we should wait.|sent me the
files.|is allergic to peanuts.|was born in {{city}}.|won the election.|scored twice in the final.
|resigned on Tuesday.|will be your point of contact.|reported the bug.|needs access to the repo.|booked
the flight.|missed the deadline.|is the new head of sales.|paid the invoice.|can't make it tonight.
|forgot her password.|changed his phone number.|moved to {{country}} last year.|is {{age}} years old.
|graduated from {{organization}}.|reviewed the pull request.|has a doctor's appointment.|owes me money.
|is my emergency contact.|runs the bakery on the corner.|was late again.|got married in June.|(ext.
4421) handles refunds.|, our accountant, will call you.|and I went to school together.
"""
ADDRESS_BEFORE = """
ship it to|I live at|we moved to|deliver to|the office is at|meet me at|my address is|send the invoice
to|the house at|the apartment at|located at|pick me up at|the accident happened near|the package was
left at|registered address:|Address:|addr:|current address -|billing address:|shipping address:|home
address:|mailing address:|return it to|forward my mail to|the property at|the clinic at|our warehouse,
|the event is at|the store at|visit us at|she stays at|he grew up at|drop it off at|the venue:
|location:|the meeting point is|send a courier to|the parcel goes to|our new headquarters at|the
listing at|the flat at|I rent a room at|the incident at|we're at|I'm staying at
"""
ADDRESS_AFTER = """
.| tomorrow.|, please.| before 5pm.|?| next to the bakery.| (ring twice).| by Friday.| until March.
|, thank you!| - the blue door.| as soon as possible.| for the next month.| on Monday morning.
|, near the station.| instead.
"""
NOT_PERSON = """
the team|the front desk|customer support|the bank|the doctor|my manager|the office|the landlord
|the school|the city council|the airline|the hotel|HR|the IT department|Apple|Google|Amazon|Netflix
|the Marketing Team|the Board|Finance|the Sales Department|Legal|the Help Desk|the Library|the Museum
|the Pharmacy|the Embassy|the Police|the Fire Department|Tech Support|the Bakery|the Gym|the Dentist
"""
NOT_ADDRESS = """
the station|the airport|the office|home|the mall|downtown|the city centre|the north side|the hotel
|the main entrance|the parking lot|the second floor|the usual place|the conference centre|the park
|the beach|the harbour|the old town|Central Park|Union Station|the Eiffel Tower|Times Square
"""
PLACE_FRAMES = """
I'm originally from {{city}}.|I'm flying to {{city}} on Friday.|What's the weather like in {{city}} in
April?|{{city}} is lovely in the autumn.|Are there trains from {{city}} to {{city}}?|Find me a hotel in
{{city}} near the old town.|We spent two weeks in {{country}}.|Our team in {{city}} is hiring.|The
{{city}} office closes early today.|How far is {{city}} from {{city}}?|She studied in {{city}} and
{{country}}.|Population of {{city}}?|Best restaurants in {{city}}|I was born in {{country}} but grew up in
{{city}}.|Flights to {{city}} are cheap in winter.|The conference moved from {{city}} to {{city}}.|He
commutes to {{city}} every day.|Is {{country}} part of the EU?|Visa requirements for {{country}}|Our
supplier {{organization}} is based in {{city}}.|{{organization}} opened a new branch in {{city}}.|I bought
it from {{organization}}.|Shares of {{organization}} fell 3% today.|The {{nationality}} embassy in
{{city}}|We are proud {{nation_plural}}.|A {{nationality}} recipe for dinner|I work for
{{organization}} as a {{job}}.|The {{job}} position at {{organization}} is still open.|Customer
since {{year}}.|Ticket #{{building_number}} was closed.|Order {{zipcode}} shipped from {{city}}.
"""
