"""Word lists for the prose frames (``prose.py``) and the tagger's gazetteer (``gazetteer.py``).

Written for this project. Names are split between training and held-out evaluation by
``values.held_out`` (``crc32 % 5 == 0``: held out), like the generator's names; the places,
organisations and brands are negatives (never PII) and are used by both sides.
"""

from __future__ import annotations

# Given names and surnames from many languages (besides the generator's, which are mostly European).
INTL_GIVEN = """
Abdullah Ahmed Aisha Alejandro Amara Amir Ana Anders Andrei Anil Antoine Arjun Astrid Ayesha Bao Beatriz
Benedikt Bilal Bogdan Boris Camila Carmen Chiara Chidi Chinedu Cristina Dmitri Elif Emeka Enrique Esra
Fatima Fernando Francesca Giorgos Gunnar Hamid Hassan Helmut Hyun Ibrahim Ifeoma Igor Ines Ingrid Ivan
Jacques Javier Jomo Jorge Juan Kaito Kamala Kemal Kenji Kofi Kwame Lars Leila Lucia Luis Magnus Malik
Mariam Marta Mateo Mehmet Mikhail Miguel Mohammed Mustafa Nadia Naveen Nikolai Nkechi Olga Olumide
Omar Oksana Pablo Paolo Pedro Pierre Pradeep Priya Rahul Rajesh Ramon Rashid Ravi Recep Rosa Rui Salma
Samir Sanjay Sergei Shinzo Siddharth Sipho Sofia Svetlana Takumi Tariq Thabo Tomasz Vikram Vladimir
Wanjiru Xavier Yasmin Yaw Yitzhak Yusuf Zainab Zeynep Zoltan Agnieszka Bjorn Dagny Ebru Farida Goran
Halima Imran Jelena Kasia Lorenzo Mehdi Nasser Oleksandr Radek Sabine Teodor Ugo Valentina Wojciech
Yannick Zlatan Adaeze Benazir Ciro Dilma Ehud Fidel Gerhard Hosni Iker Jacinda Klaus Lula Mahmoud Nelson
Viktor Angela Emmanuel Jair Narendra Recep Justin Yoshihiko Ashraf Uhuru Abiy Cyril Muhammadu Nawaz
"""
INTL_SURNAMES = """
Abdullah Adeyemi Agarwal Ahmadi Alvarez Andersen Aziz Banerjee Barzani Bauer Becker Bianchi Bogdanov
Castillo Chaudhry Chen Costa Dang Demir Diallo Dimitrov Dubois Eriksson Esposito Fernandes Fischer
Gallo Ghosh Gonzalez Gupta Haddad Hakimi Hansen Herrera Hoffmann Horvat Hossain Ibrahimovic Iyer Jansen
Jovanovic Kaya Khalil Khan Kim Kovacs Kowalski Kumar Kuznetsov Lambert Laurent Lindqvist Lopez Mahmoud
Marino Medina Mendes Mensah Moreau Morozov Mwangi Nakamura Navarro Nguyen Nielsen Novak Nowak Obi
Odhiambo Okafor Okonkwo Oliveira Ortiz Osei Ozturk Pavlov Petrov Popescu Qureshi Rahman Ramos Reddy
Ricci Rossi Sahin Salazar Santos Sato Schmidt Schneider Sharma Silva Singh Sokolov Suzuki Takahashi
Tanaka Tran Uchenna Vargas Vasquez Volkov Wagner Wang Watanabe Weber Wojcik Yamamoto Yilmaz Yusuf
Zhang Zhou Zimmermann Kinkel Kohl Yeltsin Netanyahu Arafat Mandela Chirac Primakov Lebed Chernomyrdin
Mubarak Erdogan Modi Lagos Sharif Kenyatta Ramaphosa Buhari Ahmed Ardern Merkel Macron Scholz Bolsonaro
Trudeau Kishida Noda Zelensky Tusk Orban Rutte Sanchez Draghi Meloni Albanese Mitsotakis Fico Babis
"""
# Places: countries come from the generator's nationalities.csv; these are cities and regions.
CITIES = """
London Paris Berlin Madrid Rome Lisbon Vienna Prague Warsaw Budapest Athens Istanbul Moscow Kyiv Minsk
Oslo Stockholm Helsinki Copenhagen Dublin Edinburgh Glasgow Manchester Liverpool Leeds Birmingham Bristol
Amsterdam Rotterdam Brussels Antwerp Geneva Zurich Bern Munich Hamburg Frankfurt Cologne Stuttgart Milan
Naples Turin Florence Venice Barcelona Seville Valencia Porto Lyon Marseille Toulouse Nice Bordeaux
Cairo Lagos Nairobi Accra Johannesburg Durban Kinshasa Addis Ababa Khartoum Algiers Tunis Casablanca
Dakar Kampala Harare Lusaka Luanda Beirut Damascus Baghdad Tehran Riyadh Jeddah Dubai Doha Amman
Jerusalem Gaza Ankara Baku Tbilisi Yerevan Kabul Islamabad Karachi Lahore Delhi Mumbai Kolkata Chennai
Bangalore Dhaka Colombo Kathmandu Beijing Shanghai Hong Kong Shenzhen Guangzhou Taipei Seoul Pyongyang
Tokyo Osaka Kyoto Manila Jakarta Bangkok Hanoi Saigon Singapore Kuala Lumpur Sydney Melbourne Brisbane
Perth Auckland Wellington Toronto Montreal Vancouver Ottawa Calgary Washington Boston Chicago Houston
Dallas Atlanta Miami Seattle Denver Phoenix Detroit Philadelphia Baltimore Cleveland Pittsburgh
Los Angeles San Francisco San Diego New York New Orleans Nashville Memphis Austin Mexico City Havana
Bogota Lima Quito Caracas Santiago Buenos Aires Montevideo Brasilia Rio Sao Paulo Texas California
Florida Ohio Michigan Virginia Georgia Bavaria Saxony Catalonia Andalusia Scotland Wales Ulster Bosnia
Kosovo Chechnya Crimea Kashmir Punjab Tibet Siberia Kurdistan Sarajevo Belgrade Zagreb Bucharest Sofia
Bratislava Ljubljana Tallinn Riga Vilnius Strasbourg Luxembourg Monaco Gdansk Krakow Sevastopol Grozny
Bonn Dresden Leipzig Hanover Dortmund Essen Dusseldorf Bremen Nuremberg Salzburg Innsbruck Graz Basel
Lausanne Lucerne Utrecht Eindhoven Leiden Bruges Liege Genoa Bologna Palermo Verona Pisa Bilbao Malaga
Zaragoza Granada Coimbra Marseilles Nantes Rennes Grenoble Montpellier Cardiff Belfast Newcastle
Sheffield Nottingham Leicester Southampton Oxford Cambridge Aberdeen Dundee Cork Limerick Galway
Gothenburg Malmo Uppsala Bergen Trondheim Aarhus Odense Tampere Turku Lodz Poznan Wroclaw Brno Ostrava
Kosice Debrecen Cluj Iasi Varna Plovdiv Thessaloniki Patras Izmir Antalya Odessa Kharkiv Lviv Donetsk
Novosibirsk Yekaterinburg Kazan Vladivostok Murmansk Almaty Tashkent Bishkek Dushanbe Ashgabat Mosul
Basra Erbil Homs Latakia Haifa Ramallah Jericho Luxor Aswan Benghazi Tripoli Misrata Sanaa
Aden Muscat Manama Kuwait Medina Mecca Qom Isfahan Shiraz Mashhad Kandahar Herat Peshawar Quetta
Hyderabad Ahmedabad Pune Jaipur Lucknow Kanpur Chittagong Yangon Mandalay Phnom Penh Vientiane
Chengdu Chongqing Tianjin Nanjing Hangzhou Xian Harbin Lhasa Urumqi Macau Busan Incheon Sapporo
Yokohama Kobe Hiroshima Nagasaki Fukuoka Okinawa Davao Surabaya Bandung Medan Denpasar Penang Darwin
Hobart Canberra Christchurch Dunedin Winnipeg Edmonton Quebec Regina Anchorage Honolulu Portland
Sacramento Oakland Minneapolis Milwaukee Cincinnati Indianapolis Columbus Charlotte Raleigh Richmond
Orlando Tampa Jacksonville Birmingham Louisville Kansas Tulsa Oklahoma Albuquerque Tijuana Monterrey
Guadalajara Acapulco Managua Tegucigalpa Panama Medellin Cali Cartagena Guayaquil Cusco Asuncion
Valparaiso Rosario Mendoza Recife Salvador Fortaleza Curitiba Belem Porto Alegre Harare Bulawayo
Maputo Lilongwe Dodoma Mogadishu Asmara Djibouti Juba Kigali Bujumbura Goma Brazzaville Libreville
Yaounde Douala Abuja Kano Ibadan Lome Cotonou Ouagadougou Bamako Niamey Nouakchott Freetown Monrovia
Conakry Banjul Bissau Windhoek Gaborone Maseru Mbabane Antananarivo Marrakesh Fez Rabat Oran Sousse
"""
CITIES_MULTI = (
    "Addis Ababa|Hong Kong|Kuala Lumpur|Los Angeles|San Francisco|San Diego|New York|New Orleans|Mexico City"
    "|Buenos Aires|Sao Paulo|Rio de Janeiro|Tel Aviv|New Delhi|Abu Dhabi|Cape Town|Las Vegas|Saint Petersburg"
    "|Rhode Island|New Zealand|South Africa|North Korea|South Korea|United States|United Kingdom|Sri Lanka"
)
# Held-out-only places (not in the gazetteer): real text names places no list has.
EVAL_PLACES = """
Tromso Ghent Lleida Bergamo Pskov Mostar Kumasi Mombasa Sfax Tabriz Multan Cebu Daegu Nagoya Adelaide
Halifax Tucson Omaha Spokane Cordoba Arequipa Manaus Oaxaca Tangier Aleppo Hebron Kirkuk Fresno Vigo
"""
# Organisations as newswire names them (the generator's companies_and_organizations.csv adds firms).
ORGS = """
United Nations|European Union|NATO|the IMF|the World Bank|the Federal Reserve|the Bundesbank|Reuters
|the Associated Press|BBC|CNN|Interfax|Xinhua|the Red Cross|Amnesty International|Greenpeace|UNICEF
|the Pentagon|the Kremlin|the White House|Congress|the Senate|Parliament|the Duma|the Bundestag
|the Supreme Court|the Labour Party|the Conservative Party|the Democratic Party|the Social Democrats
|Hamas|Hezbollah|the PLO|Fatah|the Taliban|OPEC|the WTO|the WHO|the Central Bank|Interpol|Europol
|Microsoft|Apple|Google|Amazon|Siemens|Volkswagen|Daimler|BMW|Renault|Peugeot|Fiat|Toyota|Honda|Nissan
|Sony|Samsung|Hyundai|Nestle|Unilever|Shell|BP|Exxon|Chevron|Gazprom|Lukoil|Aeroflot|Lufthansa|Boeing
|Airbus|Heineken|Carlsberg|Guinness|Coca-Cola|PepsiCo|McDonald's|Walmart|Tesco|Carrefour|Barclays
|HSBC|Deutsche Bank|Credit Suisse|UBS|Goldman Sachs|Morgan Stanley|JP Morgan|Citigroup|Nokia|Ericsson
|Philips|Intel|IBM|Oracle|Netflix|Spotify|Uber|Airbnb|Pfizer|Novartis|Roche|Bayer|BASF|Reliance
|Tata Motors|Infosys|Alibaba|Tencent|Huawei|Petrobras|Vale|Aramco|Manchester United|Arsenal|Chelsea
|Liverpool|Bayern Munich|Real Madrid|Barcelona|Juventus|Inter Milan|Ajax|Celtic|Rangers|PSV Eindhoven
|the Lakers|the Yankees|the Red Sox|the Bulls|Harvard|Oxford University|Cambridge|Stanford|MIT|Yale
|the Sorbonne|Sotheby's|Christie's|the Louvre|the Vatican|the Church of England|Scotland Yard|the FBI
|the CIA|MI5|Mossad|the KGB|the Stock Exchange|Nasdaq|the Dow Jones|Standard & Poor's|Moody's|Fitch
"""
# Brands and products (never people).
BRANDS = """
iPhone|Windows|Android|Excel|Photoshop|PlayStation|Xbox|Kindle|Corolla|Golf|Mustang|Prius|Walkman
|Nutella|Lego|Barbie|Tabasco|Marmite|Rolex|Visa|Mastercard|PayPal|Gmail|WhatsApp|Instagram|TikTok
|Linux|Ubuntu|Docker|Kubernetes|Python|Django|React|Postgres|Redis|Slack|Zoom|Jira|Figma|Tesla
"""
# Words that end an organisation's name, lead it, or name a body (capitalised in prose).
ORG_WORDS = """
Inc Corp Corporation Ltd Limited LLC PLC plc AG GmbH SA NV BV AB ASA Oyj SpA Co Company Group Holdings
Bank Bancorp Party Ministry Department Council Committee Commission Agency Authority Association
Union Federation Institute Foundation University College School Academy Hospital Clinic Airlines
Airways Motors Industries Systems Technologies Networks Partners Capital Securities Investments Fund
Trust Society Club Church Court Parliament Assembly Senate Congress Army Navy Police Service Office
Board Bureau Center Centre Museum Gallery Theatre Orchestra League Cup Championship Games Olympics
Cars Airline Energy Pharma Foods Brewery Brewing Telecom FC United City Rovers Wanderers Athletic Exchange Times Post Journal Gazette Herald Tribune News
"""
RELIGIONS = """
Catholic Catholics Protestant Protestants Orthodox Christian Christians Muslim Muslims Islamic Jewish
Jews Hindu Hindus Buddhist Buddhists Sikh Sikhs Anglican Lutheran Methodist Baptist Evangelical Sunni
Shia Shiite Roman Coptic Mormon Calvinist Presbyterian Pentecostal Quaker Zionist Islamist
"""
# Role words and titles that precede a name but are not part of it.
TITLES = """
Mr Mrs Ms Miss Mx Dr Prof Professor Sir Dame Lord Lady President Chancellor Prime Minister Premier
Secretary Senator Sen Rep Representative Governor Gov Mayor Judge Justice Chief Inspector Detective
Sergeant Sgt Officer Constable Captain Capt General Gen Colonel Col Major Lieutenant Lt Admiral
Commander Coach Manager Director Chairman Chairwoman Chair CEO Chief Executive Spokesman Spokeswoman
Ambassador Envoy King Queen Prince Princess Pope Cardinal Bishop Archbishop Father Rev Reverend Rabbi
Imam Sheikh Pastor Brother Sister Uncle Aunt Grandma Grandpa Nurse Agent Deputy Vice Striker Midfielder
Defender Goalkeeper Forward Captain Skipper Veteran Rookie Champion Leader Dear Hi Hello Thanks Dearest
"""
MONTHS_DAYS = """
January February March April May June July August September October November December Monday Tuesday
Wednesday Thursday Friday Saturday Sunday Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec Mon Tue Wed
Thu Fri Sat Sun Christmas Easter Ramadan Halloween Thanksgiving
"""
