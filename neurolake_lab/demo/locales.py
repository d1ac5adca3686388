"""People and places of the demo's twelve countries, written by hand.

Faker would give more variety, but it is too slow for scale 20 and would add a dependency; these
short lists are enough for names, emails, phones and addresses that look right for each country.
Names are romanised. In phone formats ``#`` stands for any digit and ``N`` for a digit 2-9. In
address formats ``{street}`` is a street of the country and the other fields are numbers that
``neurolake_lab.demo.pii`` fills in: ``n`` house number (1-199), ``N`` large house number
(10-9999), ``a`` unit (1-40), ``f`` floor (1-9), ``L`` door letter (A-D), ``r`` room (101-1212),
and ``c``/``b``/``g`` the chome, block and house of a Japanese address.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Locale:
    """One country: its share of customers, and the lists its people and places come from."""

    country: str
    #: relative share of customers (uneven on purpose, so group-by answers differ)
    weight: float
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    #: full-name formats over ``{first}``, ``{last}`` and ``{last2}`` (a second surname)
    name_formats: tuple[str, ...]
    #: largest city first; the city of a customer is drawn with falling weights down the list
    cities: tuple[str, ...]
    streets: tuple[str, ...]
    address_formats: tuple[str, ...]
    phone_formats: tuple[str, ...]
    #: personal email providers, most used first
    email_domains: tuple[str, ...]
    #: top-level domain of company email addresses
    company_tld: str


# fmt: off
LOCALES: tuple[Locale, ...] = (
    Locale(
        country="United States",
        weight=22,
        first_names=(
            "James", "Michael", "Robert", "John", "David", "William", "Christopher", "Daniel",
            "Matthew", "Tyler", "Brandon", "Jose", "Ashley", "Jennifer", "Jessica", "Emily",
            "Sarah", "Elizabeth", "Olivia", "Madison", "Kimberly", "Maria", "Latoya", "Wei",
        ),
        last_names=(
            "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
            "Rodriguez", "Martinez", "Hernandez", "Lopez", "Wilson", "Anderson", "Thomas",
            "Taylor", "Moore", "Jackson", "Lee", "Nguyen", "Walker", "Kim", "Patel", "O'Brien",
        ),
        name_formats=("{first} {last}",),
        cities=(
            "New York", "Los Angeles", "Chicago", "Houston", "Phoenix", "Philadelphia",
            "San Antonio", "San Diego", "Dallas", "Seattle", "Denver", "Boston", "Atlanta",
            "Miami",
        ),
        streets=(
            "Main Street", "Oak Avenue", "Maple Street", "Cedar Lane", "Park Avenue",
            "Washington Boulevard", "Elm Street", "Pine Street", "Lakeview Drive",
            "Sunset Boulevard", "Hillcrest Road", "Lincoln Avenue", "2nd Street", "Willow Court",
        ),
        address_formats=("{N} {street}", "{N} {street}, Apt {a}", "{N} {street} #{r}"),
        phone_formats=(
            "+1 (212) N##-####", "(415) N##-####", "312-N##-####", "+1 617 N## ####",
            "713.N##.####", "(206) N##-####", "305-N##-####", "(404) N##-####", "214-N##-####",
            "+1 (602) N##-####", "(215) N##-####", "210.N##.####", "(619) N##-####", "303-N##-####",
            "+1 718 N## ####", "(646) N##-####", "702-N##-####", "(503) N##-####",
        ),
        email_domains=(
            "gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "aol.com",
            "comcast.net",
        ),
        company_tld="com",
    ),
    Locale(
        country="Germany",
        weight=14,
        first_names=(
            "Lukas", "Leon", "Finn", "Jonas", "Paul", "Felix", "Maximilian", "Elias", "Stefan",
            "Thomas", "Jürgen", "Tobias", "Anna", "Emma", "Mia", "Hannah", "Lea", "Sophie",
            "Marie", "Lena", "Katharina", "Sabine", "Ursula", "Jana",
        ),
        last_names=(
            "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
            "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf",
            "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hartmann",
            "Yilmaz",
        ),
        name_formats=("{first} {last}",),
        cities=(
            "Berlin", "Hamburg", "Munich", "Cologne", "Frankfurt", "Stuttgart", "Düsseldorf",
            "Leipzig", "Dresden", "Nuremberg", "Bremen",
        ),
        streets=(
            "Hauptstraße", "Schulstraße", "Gartenstraße", "Bahnhofstraße", "Dorfstraße",
            "Bergstraße", "Birkenweg", "Lindenstraße", "Kirchstraße", "Waldstraße",
            "Schillerstraße", "Goethestraße", "Am Markt", "Friedrichstraße",
        ),
        address_formats=("{street} {n}", "{street} {n}", "{street} {n}{L}"),
        phone_formats=(
            "+49 30 N######", "030 N######", "+49 89 N######", "089 N######", "+49 151 ########",
            "0151 ########", "+49 160 #######", "+49 170 #######", "0171 #######", "0176 ########",
            "+49 (0)69 N######", "0221 N######", "040 N#######", "0711 N######",
        ),
        email_domains=("gmx.de", "web.de", "t-online.de", "gmail.com", "outlook.de"),
        company_tld="de",
    ),
    Locale(
        country="United Kingdom",
        weight=11,
        first_names=(
            "Oliver", "George", "Harry", "Jack", "Charlie", "Thomas", "James", "William",
            "Oscar", "Alfie", "Amelia", "Olivia", "Isla", "Ava", "Emily", "Sophie", "Grace",
            "Charlotte", "Eleanor", "Freya", "Siobhan", "Rhys",
        ),
        last_names=(
            "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
            "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green",
            "Hall", "Wood", "Clarke", "Patel", "Hughes", "Khan",
        ),
        name_formats=("{first} {last}",),
        cities=(
            "London", "Birmingham", "Manchester", "Leeds", "Glasgow", "Liverpool", "Bristol",
            "Sheffield", "Edinburgh", "Cardiff", "Newcastle",
        ),
        streets=(
            "High Street", "Station Road", "Church Lane", "Victoria Road", "Green Lane",
            "Manor Road", "Park Road", "Queens Road", "Kings Road", "The Crescent", "Mill Lane",
            "Albert Street",
        ),
        address_formats=("{n} {street}", "{n} {street}", "Flat {a}, {n} {street}"),
        phone_formats=(
            "+44 20 7### ####", "020 7### ####", "020 8### ####", "+44 7400 ######", "07500 ######",
            "+44 7800 ######", "07900 ######", "0121 496 ####", "0113 496 ####", "+44 161 N## ####",
            "0141 N## ####", "029 20## ####", "0131 496 ####", "0117 496 ####",
        ),
        email_domains=(
            "gmail.com", "hotmail.co.uk", "btinternet.com", "yahoo.co.uk", "sky.com",
            "outlook.com", "virginmedia.com",
        ),
        company_tld="co.uk",
    ),
    Locale(
        country="France",
        weight=9,
        first_names=(
            "Lucas", "Hugo", "Louis", "Gabriel", "Arthur", "Jules", "Raphaël", "Léo", "Nicolas",
            "Antoine", "Pierre", "Camille", "Chloé", "Manon", "Léa", "Inès", "Sarah", "Juliette",
            "Élodie", "Mathilde", "Céline", "Amandine",
        ),
        last_names=(
            "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
            "Leroy", "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David",
            "Bertrand", "Roux", "Vincent", "Fournier", "Girard", "Lefèvre",
        ),
        name_formats=("{first} {last}",),
        cities=(
            "Paris", "Marseille", "Lyon", "Toulouse", "Nice", "Nantes", "Strasbourg",
            "Montpellier", "Bordeaux", "Lille",
        ),
        streets=(
            "rue de la République", "rue Victor Hugo", "avenue Jean Jaurès", "rue Pasteur",
            "boulevard Voltaire", "rue de la Paix", "place de la Mairie", "rue du Moulin",
            "rue Gambetta", "allée des Tilleuls", "rue Nationale", "chemin des Vignes",
        ),
        address_formats=("{n} {street}", "{n} {street}", "{n} bis {street}"),
        phone_formats=(
            "+33 1 ## ## ## ##", "01 ## ## ## ##", "06 1# ## ## ##", "06 7# ## ## ##",
            "+33 6 1# ## ## ##", "+33 6 7# ## ## ##", "07 5# ## ## ##", "04 7# ## ## ##",
            "+33 4 7# ## ## ##", "02 ## ## ## ##", "03 ## ## ## ##", "+33 (0)1 ## ## ## ##",
        ),
        email_domains=("orange.fr", "gmail.com", "free.fr", "laposte.net", "sfr.fr", "wanadoo.fr"),
        company_tld="fr",
    ),
    Locale(
        country="India",
        weight=8,
        first_names=(
            "Aarav", "Vivaan", "Aditya", "Arjun", "Rohan", "Rahul", "Amit", "Vikram", "Sanjay",
            "Karthik", "Imran", "Priya", "Ananya", "Diya", "Aisha", "Kavya", "Neha", "Pooja",
            "Sneha", "Lakshmi", "Deepika", "Harpreet",
        ),
        last_names=(
            "Sharma", "Verma", "Gupta", "Singh", "Kumar", "Patel", "Reddy", "Iyer", "Nair",
            "Rao", "Mehta", "Shah", "Joshi", "Banerjee", "Chatterjee", "Mukherjee", "Das",
            "Pillai", "Menon", "Agarwal", "Khan",
        ),
        name_formats=("{first} {last}",),
        cities=(
            "Mumbai", "Delhi", "Bengaluru", "Hyderabad", "Chennai", "Kolkata", "Pune",
            "Ahmedabad", "Jaipur", "Lucknow",
        ),
        streets=(
            "MG Road", "Park Street", "Linking Road", "Brigade Road", "Nehru Nagar",
            "Gandhi Nagar", "Anna Salai", "Station Road", "Residency Road", "Sector 15",
            "Rajaji Nagar", "Ring Road",
        ),
        address_formats=("{n}, {street}", "Flat {r}, {street}", "House No. {n}, {street}"),
        phone_formats=(
            "+91 9#### #####", "+91 8#### #####", "09#### #####", "9#########", "+91 98### #####",
            "+91 7#### #####", "+91-22-2###-####", "+91-22-6###-####", "011-2###-####",
            "+91-11-4###-####", "044-2###-####", "080-2###-####", "+91 80 N### ####",
        ),
        email_domains=("gmail.com", "yahoo.co.in", "rediffmail.com", "outlook.com", "hotmail.com"),
        company_tld="in",
    ),
    Locale(
        country="Japan",
        weight=7,
        first_names=(
            "Haruto", "Yuto", "Sota", "Riku", "Ren", "Hiroshi", "Takeshi", "Kenji", "Daiki",
            "Shota", "Yui", "Hina", "Sakura", "Aoi", "Yuna", "Mei", "Yuki", "Akiko", "Keiko",
            "Naomi", "Emi", "Kaori",
        ),
        last_names=(
            "Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura",
            "Kobayashi", "Kato", "Yoshida", "Yamada", "Sasaki", "Yamaguchi", "Matsumoto",
            "Inoue", "Kimura", "Hayashi", "Shimizu", "Mori",
        ),
        name_formats=("{first} {last}", "{first} {last}", "{last} {first}"),
        cities=(
            "Tokyo", "Yokohama", "Osaka", "Nagoya", "Sapporo", "Fukuoka", "Kobe", "Kyoto",
            "Kawasaki", "Sendai", "Hiroshima",
        ),
        streets=(
            "Jingumae", "Nishi-Shinjuku", "Akasaka", "Ginza", "Roppongi", "Umeda", "Namba",
            "Sakae", "Tenjin", "Chuo", "Minatomirai", "Nishiki", "Higashi-Ikebukuro",
        ),
        address_formats=("{c}-{b}-{g} {street}", "{c}-{b}-{g} {street}, Room {r}"),
        phone_formats=(
            "+81 3-N###-####", "03-N###-####", "06-####-####", "+81 6-N###-####", "052-###-####",
            "090-N###-####", "+81 90-N###-####", "080-N###-####", "070-N###-####",
        ),
        email_domains=(
            "yahoo.co.jp", "gmail.com", "docomo.ne.jp", "ezweb.ne.jp", "nifty.com", "icloud.com",
        ),
        company_tld="co.jp",
    ),
    Locale(
        country="Brazil",
        weight=7,
        first_names=(
            "Miguel", "Arthur", "Gabriel", "Heitor", "Davi", "Lucas", "Pedro", "João",
            "Rafael", "Matheus", "Thiago", "Ana", "Maria", "Júlia", "Beatriz", "Larissa",
            "Fernanda", "Camila", "Letícia", "Gabriela", "Mariana", "Luana",
        ),
        last_names=(
            "Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira",
            "Lima", "Gomes", "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Lopes",
            "Soares", "Fernandes", "Araújo", "Barbosa",
        ),
        name_formats=("{first} {last}", "{first} {last2} {last}"),
        cities=(
            "São Paulo", "Rio de Janeiro", "Brasília", "Salvador", "Fortaleza",
            "Belo Horizonte", "Manaus", "Curitiba", "Recife", "Porto Alegre",
        ),
        streets=(
            "Rua das Flores", "Avenida Paulista", "Rua Augusta", "Rua da Consolação",
            "Avenida Brasil", "Rua XV de Novembro", "Rua São João", "Avenida Atlântica",
            "Rua Sete de Setembro", "Rua Dom Pedro II", "Travessa do Comércio", "Alameda Santos",
        ),
        address_formats=("{street}, {n}", "{street}, {N}", "{street}, {n} - apto {r}"),
        phone_formats=(
            "+55 11 9####-####", "(11) 9####-####", "+55 21 9####-####", "(21) 9N###-####",
            "(21) 2###-####", "(11) 3###-####", "+55 31 9####-####", "(31) 3###-####",
            "(61) 9####-####",
        ),
        email_domains=(
            "gmail.com", "hotmail.com", "uol.com.br", "bol.com.br", "terra.com.br", "globo.com",
        ),
        company_tld="com.br",
    ),
    Locale(
        country="Canada",
        weight=6,
        first_names=(
            "Liam", "Noah", "William", "Benjamin", "Lucas", "Ethan", "Logan", "Jacob",
            "Gabriel", "Félix", "Raj", "Olivia", "Emma", "Charlotte", "Amelia", "Chloé",
            "Sophie", "Léa", "Emily", "Avery",
        ),
        last_names=(
            "Smith", "Brown", "Tremblay", "Martin", "Roy", "Wilson", "MacDonald", "Gagnon",
            "Johnson", "Taylor", "Côté", "Campbell", "Anderson", "Leblanc", "Lee", "Bouchard",
            "Gauthier", "Morin", "Chen", "Singh",
        ),
        name_formats=("{first} {last}",),
        cities=(
            "Toronto", "Montreal", "Vancouver", "Calgary", "Edmonton", "Ottawa", "Winnipeg",
            "Quebec City", "Hamilton", "Halifax",
        ),
        streets=(
            "Yonge Street", "King Street West", "Queen Street", "rue Sainte-Catherine",
            "boulevard Saint-Laurent", "Granville Street", "Main Street", "Jasper Avenue",
            "Portage Avenue", "Maple Drive", "Robson Street", "Elgin Street",
        ),
        address_formats=("{N} {street}", "{a}-{N} {street}", "{N} {street}, Suite {r}"),
        phone_formats=(
            "+1 (416) N##-####", "(514) N##-####", "604-N##-####", "+1 403 N## ####",
            "(613) N##-####", "780-N##-####", "(647) N##-####", "(905) N##-####", "(902) N##-####",
            "(204) N##-####", "(418) N##-####", "(778) N##-####",
        ),
        email_domains=(
            "gmail.com", "rogers.com", "shaw.ca", "sympatico.ca", "outlook.com", "yahoo.ca",
        ),
        company_tld="ca",
    ),
    Locale(
        country="Spain",
        weight=5,
        first_names=(
            "Hugo", "Martín", "Lucas", "Mateo", "Pablo", "Alejandro", "Daniel", "Javier",
            "Carlos", "Jordi", "Lucía", "Sofía", "María", "Martina", "Paula", "Julia", "Carmen",
            "Elena", "Laura", "Marta", "Irene", "Nerea",
        ),
        last_names=(
            "García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez",
            "Pérez", "Gómez", "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno",
            "Muñoz", "Álvarez", "Romero", "Navarro", "Torres",
        ),
        name_formats=("{first} {last} {last2}", "{first} {last} {last2}", "{first} {last}"),
        cities=(
            "Madrid", "Barcelona", "Valencia", "Seville", "Zaragoza", "Málaga", "Murcia",
            "Palma", "Bilbao", "Alicante",
        ),
        streets=(
            "Calle Mayor", "Calle de Alcalá", "Gran Vía", "Calle Real",
            "Avenida de la Constitución", "Calle del Sol", "Paseo de Gracia", "Calle Nueva",
            "Plaza de España", "Calle San Juan", "Avenida de Andalucía", "Calle de Serrano",
        ),
        address_formats=("{street}, {n}", "{street}, {n}, {f}º {L}", "{street} {n}, {f}º{L}"),
        phone_formats=(
            "+34 6## ### ###", "6## ### ###", "+34 91# ### ###", "91# ## ## ##", "+34 93 ### ## ##",
            "93 N## ## ##", "96 N## ## ##", "71# ### ###",
        ),
        email_domains=("gmail.com", "hotmail.es", "yahoo.es", "telefonica.net", "outlook.es"),
        company_tld="es",
    ),
    Locale(
        country="Italy",
        weight=4,
        first_names=(
            "Leonardo", "Francesco", "Alessandro", "Lorenzo", "Mattia", "Andrea", "Gabriele",
            "Matteo", "Giuseppe", "Marco", "Sofia", "Giulia", "Aurora", "Alice", "Ginevra",
            "Emma", "Giorgia", "Francesca", "Chiara", "Federica",
        ),
        last_names=(
            "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci",
            "Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa",
            "Giordano", "Rizzo", "Lombardi", "Moretti",
        ),
        name_formats=("{first} {last}",),
        cities=(
            "Rome", "Milan", "Naples", "Turin", "Palermo", "Genoa", "Bologna", "Florence", "Bari",
            "Venice", "Verona",
        ),
        streets=(
            "Via Roma", "Via Garibaldi", "Via Mazzini", "Corso Vittorio Emanuele II",
            "Via Dante", "Via Verdi", "Piazza della Repubblica", "Via Cavour", "Viale Europa",
            "Via Marconi", "Via del Corso", "Via Nazionale",
        ),
        address_formats=("{street}, {n}", "{street} {n}", "{street}, {n}/{L}"),
        phone_formats=(
            "+39 06 #### ####", "06 #### ####", "+39 02 #### ####", "02 N### ####",
            "+39 33# ### ####", "34# ### ####", "32# ### ####", "+39 34# ### ####", "38# ### ####",
            "011 ### ####", "055 N## ####", "081 N## ####",
        ),
        email_domains=("libero.it", "gmail.com", "virgilio.it", "tiscali.it", "alice.it"),
        company_tld="it",
    ),
    Locale(
        country="Australia",
        weight=4,
        first_names=(
            "Oliver", "Jack", "William", "Noah", "Thomas", "Lachlan", "Cooper", "Liam",
            "Mitchell", "Charlotte", "Olivia", "Mia", "Ava", "Isla", "Chloe", "Matilda", "Ruby",
            "Zoe", "Harper", "Sienna",
        ),
        last_names=(
            "Smith", "Jones", "Williams", "Brown", "Wilson", "Taylor", "Johnson", "White",
            "Martin", "Anderson", "Thompson", "Nguyen", "Thomas", "Walker", "Harris", "Lee",
            "Ryan", "Robinson", "Kelly", "King",
        ),
        name_formats=("{first} {last}",),
        cities=(
            "Sydney", "Melbourne", "Brisbane", "Perth", "Adelaide", "Gold Coast", "Canberra",
            "Newcastle", "Hobart", "Darwin",
        ),
        streets=(
            "George Street", "Pitt Street", "Collins Street", "Bourke Street", "Queen Street",
            "Hay Street", "King William Street", "Beach Road", "Ocean Parade", "Bridge Road",
            "Victoria Parade", "Wattle Avenue",
        ),
        address_formats=("{n} {street}", "Unit {a}, {n} {street}", "{a}/{n} {street}"),
        phone_formats=(
            "+61 2 9### ####", "(02) 9### ####", "(02) 8### ####", "+61 3 9### ####",
            "(03) 9### ####", "(07) 3### ####", "(08) 9### ####", "041# ### ###", "040# ### ###",
            "+61 41# ### ###", "+61 40# ### ###",
        ),
        email_domains=("gmail.com", "bigpond.com", "optusnet.com.au", "outlook.com", "icloud.com"),
        company_tld="com.au",
    ),
    Locale(
        country="Mexico",
        weight=3,
        first_names=(
            "Santiago", "Mateo", "Sebastián", "Leonardo", "Diego", "Emiliano", "José", "Luis",
            "Juan", "Miguel", "Sofía", "Valentina", "Regina", "Camila", "Ximena", "Guadalupe",
            "Fernanda", "Daniela", "Andrea", "Alejandra",
        ),
        last_names=(
            "Hernández", "García", "Martínez", "López", "González", "Pérez", "Rodríguez",
            "Sánchez", "Ramírez", "Cruz", "Flores", "Gómez", "Morales", "Vázquez", "Reyes",
            "Jiménez", "Torres", "Díaz", "Gutiérrez", "Ruiz",
        ),
        name_formats=("{first} {last} {last2}", "{first} {last}"),
        cities=(
            "Mexico City", "Guadalajara", "Monterrey", "Puebla", "Tijuana", "León", "Querétaro",
            "Mérida", "Cancún", "Toluca",
        ),
        streets=(
            "Avenida Insurgentes Sur", "Paseo de la Reforma", "Calle Juárez", "Calle Hidalgo",
            "Avenida Revolución", "Calle Morelos", "Calle 5 de Mayo", "Avenida Chapultepec",
            "Calle Madero", "Avenida Universidad", "Calle Allende", "Boulevard Miguel Alemán",
        ),
        address_formats=("{street} {n}", "{street} #{n}", "{street} {N}, Int. {a}"),
        phone_formats=(
            "+52 55 #### ####", "55 #### ####", "+52 33 #### ####", "+52 81 #### ####",
            "(55) ####-####", "+52 55 N### ####", "+52 222 N## ####", "+52 664 N## ####",
        ),
        email_domains=("gmail.com", "hotmail.com", "prodigy.net.mx", "yahoo.com.mx", "outlook.com"),
        company_tld="com.mx",
    ),
)

# fmt: on

#: endings of company email domains, e.g. ``weber-consulting.de``
COMPANY_SUFFIXES: tuple[str, ...] = (
    "-consulting",
    "-group",
    "-trading",
    "-design",
    "-partners",
    "tech",
    "-logistics",
    "-studio",
)
