"""A labelled set of columns for measuring the PII column classifier (``pii_f1.py``).

Every column is generated deterministically from a seed and carries its true entity (``None`` for
no PII), written by hand from what the values are, never from a classifier's output. The set mixes
locales and formats (names from eight cultures, phone numbers of twelve countries, IBANs of nine,
cards with and without separators, IPv4/IPv6, street addresses in nine locales, dates of birth in
several notations, US SSNs, free text with and without PII inside) with non-PII look-alikes that a
pattern matcher can mistake for PII: order and invoice numbers, SKUs, EANs, ISBNs, tracking numbers,
lot numbers with dates inside, amounts, timestamps, status codes, countries, cities, currencies,
UUIDs, versions, hashes, postcodes, booleans, company and product names, and columns whose *name*
mentions PII (``phone_model``, ``email_opt_in``, ``card_type``) while their values are not.

Policy decisions the labels encode (see ``neurolake_lab/compliance/pii/tags.py``): country, city,
postcode alone and company names are not PII; nationality and religion are ``NRP`` (sensitive); a
phone number stored as an integer is still a phone number; a free-text column is labelled with the
entity it mentions most often.
"""

from __future__ import annotations

import datetime as dt
import decimal
import random
import string
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pyarrow as pa

ROWS = 400
SEED = 20240611


@dataclass(frozen=True)
class LabelledColumn:
    """One column: its values, Arrow type, optional description and true entity."""

    name: str
    type: pa.DataType
    values: list[object]
    label: str | None
    doc: str | None = None
    free_text: bool = False
    note: str = ""


@dataclass
class LabelledTable:
    """Columns of one table (same number of rows each)."""

    name: str
    columns: list[LabelledColumn] = field(default_factory=list)

    def to_arrow(self) -> pa.Table:
        return pa.table(
            {c.name: pa.array(c.values, type=c.type) for c in self.columns},
        )

    def docs(self) -> dict[str, str]:
        return {c.name: c.doc for c in self.columns if c.doc}


# --------------------------------------------------------------------------------------------
# Vocabularies (hand-written)
# --------------------------------------------------------------------------------------------

NAMES: dict[str, tuple[list[str], list[str]]] = {
    "de": (
        [
            "Jürgen",
            "Anneliese",
            "Klaus",
            "Sabine",
            "Wolfgang",
            "Ursula",
            "Matthias",
            "Katrin",
            "Dieter",
            "Brigitte",
            "Lukas",
            "Lena",
            "Maximilian",
            "Hannah",
            "Friedrich",
            "Gisela",
            "Tobias",
            "Jana",
            "Horst",
            "Ingrid",
        ],
        [
            "Müller",
            "Schmidt",
            "Schneider",
            "Fischer",
            "Weber",
            "Meyer",
            "Wagner",
            "Becker",
            "Schulz",
            "Hoffmann",
            "Schäfer",
            "Koch",
            "Bauer",
            "Richter",
            "Klein",
            "Wolf",
            "Schröder",
            "Neumann",
            "Schwarz",
            "Zimmermann",
        ],
    ),
    "fr": (
        [
            "Françoise",
            "Jean-Luc",
            "Amélie",
            "Théo",
            "Camille",
            "Étienne",
            "Manon",
            "Sébastien",
            "Chloé",
            "Benoît",
            "Océane",
            "Mathieu",
            "Léa",
            "Guillaume",
            "Juliette",
        ],
        [
            "Dubois",
            "Lefèvre",
            "Moreau",
            "Laurent",
            "Girard",
            "Bonnet",
            "Dupont",
            "Lambert",
            "Fontaine",
            "Rousseau",
            "Vincent",
            "Faure",
            "André",
            "Mercier",
            "Chevalier",
        ],
    ),
    "es": (
        [
            "José",
            "María",
            "Javier",
            "Lucía",
            "Alejandro",
            "Carmen",
            "Sergio",
            "Elena",
            "Pablo",
            "Marta",
            "Diego",
            "Isabel",
            "Álvaro",
            "Pilar",
            "Raúl",
        ],
        [
            "García",
            "Fernández",
            "González",
            "Rodríguez",
            "López",
            "Martínez",
            "Sánchez",
            "Pérez",
            "Gómez",
            "Martín",
            "Jiménez",
            "Ruiz",
            "Hernández",
            "Díaz",
            "Moreno",
        ],
    ),
    "ja": (
        [
            "Haruto",
            "Yui",
            "Sota",
            "Aoi",
            "Ren",
            "Hina",
            "Yuto",
            "Sakura",
            "Kaito",
            "Mei",
            "Takumi",
            "Riko",
            "Daiki",
            "Yuna",
            "Kenji",
        ],
        [
            "Sato",
            "Suzuki",
            "Takahashi",
            "Tanaka",
            "Watanabe",
            "Ito",
            "Yamamoto",
            "Nakamura",
            "Kobayashi",
            "Kato",
            "Yoshida",
            "Yamada",
            "Sasaki",
            "Yamaguchi",
            "Matsumoto",
        ],
    ),
    "in": (
        [
            "Priya",
            "Rahul",
            "Ananya",
            "Arjun",
            "Kavya",
            "Vikram",
            "Deepika",
            "Rohan",
            "Sneha",
            "Aditya",
            "Pooja",
            "Karthik",
            "Meera",
            "Siddharth",
            "Lakshmi",
        ],
        [
            "Sharma",
            "Verma",
            "Iyer",
            "Patel",
            "Reddy",
            "Nair",
            "Gupta",
            "Mehta",
            "Banerjee",
            "Kulkarni",
            "Chatterjee",
            "Rao",
            "Singh",
            "Pillai",
            "Joshi",
        ],
    ),
    "br": (
        [
            "João",
            "Ana",
            "Lucas",
            "Beatriz",
            "Gabriel",
            "Larissa",
            "Matheus",
            "Fernanda",
            "Rafael",
            "Juliana",
            "Thiago",
            "Camila",
            "Gustavo",
            "Letícia",
            "Bruno",
        ],
        [
            "Silva",
            "Santos",
            "Oliveira",
            "Souza",
            "Pereira",
            "Lima",
            "Carvalho",
            "Ferreira",
            "Rodrigues",
            "Almeida",
            "Costa",
            "Gomes",
            "Ribeiro",
            "Martins",
            "Araújo",
        ],
    ),
    "en": (
        [
            "James",
            "Emily",
            "Michael",
            "Sarah",
            "David",
            "Jessica",
            "Robert",
            "Laura",
            "Daniel",
            "Rachel",
            "Thomas",
            "Olivia",
            "Christopher",
            "Hannah",
            "Matthew",
        ],
        [
            "Smith",
            "Johnson",
            "Williams",
            "Brown",
            "Jones",
            "Miller",
            "Davis",
            "Wilson",
            "Anderson",
            "Taylor",
            "Moore",
            "Jackson",
            "Martin",
            "Thompson",
            "Walker",
        ],
    ),
    "ng": (
        [
            "Chinedu",
            "Ngozi",
            "Oluwaseun",
            "Adaeze",
            "Emeka",
            "Folake",
            "Tunde",
            "Amaka",
            "Ifeanyi",
            "Yetunde",
        ],
        [
            "Okafor",
            "Adeyemi",
            "Nwosu",
            "Balogun",
            "Eze",
            "Okonkwo",
            "Abiodun",
            "Ogunleye",
            "Nnamdi",
            "Afolabi",
        ],
    ),
}

EMAIL_DOMAINS = [
    "gmail.com", "web.de", "orange.fr", "yahoo.co.jp", "outlook.com", "uol.com.br",
    "rediffmail.com", "posteo.de", "protonmail.ch", "hotmail.es", "icloud.com", "gmx.at",
    "mail.ru", "libero.it", "acme-logistics.co.uk", "stadtwerke-nord.de",
]  # fmt: skip

CITIES = [
    "Berlin", "Munich", "Hamburg", "Paris", "Lyon", "Madrid", "Barcelona", "Tokyo", "Osaka",
    "Mumbai", "Bengaluru", "São Paulo", "Rio de Janeiro", "New York", "Chicago", "London",
    "Manchester", "Lagos", "Toronto", "Amsterdam", "Vienna", "Zurich", "Milan", "Rome",
]  # fmt: skip

COUNTRIES = [
    "Germany", "France", "Spain", "Japan", "India", "Brazil", "United States", "United Kingdom",
    "Nigeria", "Canada", "Netherlands", "Austria", "Switzerland", "Italy", "Mexico", "Australia",
]  # fmt: skip

NATIONALITIES = [
    "German", "French", "Spanish", "Japanese", "Indian", "Brazilian", "American", "British",
    "Nigerian", "Canadian", "Dutch", "Austrian", "Swiss", "Italian", "Mexican", "Australian",
]  # fmt: skip

RELIGIONS = [
    "Catholic", "Protestant", "Muslim", "Jewish", "Hindu", "Buddhist", "Orthodox Christian",
    "Sikh", "Atheist", "Agnostic",
]  # fmt: skip

PRODUCTS = [
    "Wireless Mouse", "Ergonomic Office Chair", "Stainless Steel Water Bottle 750ml",
    "Bluetooth Speaker Mini", "Standing Desk Frame", "USB-C Charging Cable 2m", "Noise Cancelling Headphones",
    "Cast Iron Skillet", "Yoga Mat Pro", "LED Desk Lamp", "Mechanical Keyboard TKL", "Espresso Grinder",
    "Trail Running Shoes", "Merino Wool Socks", "Graphite Pencil Set", "Ceramic Planter Large",
    "Smart Thermostat", "Cordless Drill 18V", "Camping Lantern", "Bamboo Cutting Board",
    "Travel Backpack 40L", "Silk Pillowcase", "Digital Kitchen Scale", "Laptop Sleeve 14 inch",
]  # fmt: skip

COMPANIES = [
    "Stadtwerke München GmbH", "Iberdrola S.A.", "Acme Logistics Ltd", "Deutsche Bahn AG",
    "Tata Consultancy Services", "Banco do Brasil S.A.", "Société Générale", "Telefónica España",
    "Nordwind Energie eG", "Mitsubishi Estate Co.", "Vodafone Group Plc", "Carrefour Market",
    "Allianz Versicherungs-AG", "Infosys Limited", "Petrobras Distribuidora", "Hydro Québec",
    "Bäckerei Kamps GmbH", "Rabobank Utrecht", "Enel Energia S.p.A.", "Siemens Healthineers AG",
]  # fmt: skip

DEPARTMENTS = ["Finance", "Engineering", "Sales", "Human Resources", "Legal", "Operations",
               "Marketing", "Procurement", "Customer Success", "Research"]  # fmt: skip

JOB_TITLES = [
    "Senior Data Engineer", "Accountant", "Sales Manager", "HR Business Partner", "Legal Counsel",
    "Warehouse Supervisor", "Product Marketing Lead", "Buyer", "Support Specialist", "Research Scientist",
]  # fmt: skip


def _ascii(s: str) -> str:
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def person(rng: random.Random, locales: Sequence[str]) -> tuple[str, str]:
    first, last = NAMES[rng.choice(list(locales))]
    return rng.choice(first), rng.choice(last)


def full_name(rng: random.Random, locales: Sequence[str]) -> str:
    f, last = person(rng, locales)
    return f"{f} {last}"


def email(rng: random.Random, locales: Sequence[str]) -> str:
    f, last = (_ascii(x).lower().replace(" ", "") for x in person(rng, locales))
    style = rng.randrange(4)
    local = [f"{f}.{last}", f"{f[0]}{last}{rng.randint(1, 99)}", f"{f}_{last}", f"{last}.{f[0]}"][
        style
    ]
    return f"{local}@{rng.choice(EMAIL_DOMAINS)}"


# --------------------------------------------------------------------------------------------
# Phone numbers: real country and area codes, random subscriber digits, usual local notations.
# --------------------------------------------------------------------------------------------


def phone(rng: random.Random, country: str, international: bool | None = None) -> str:
    intl = rng.random() < 0.5 if international is None else international
    d = lambda n: _digits(rng, n)  # noqa: E731
    if country == "us":
        area = rng.choice([212, 415, 646, 312, 617, 206, 303, 512, 305, 702])
        exch = rng.randint(201, 989)
        line = d(4)
        if intl:
            return rng.choice([f"+1 {area} {exch} {line}", f"+1-{area}-{exch}-{line}"])
        return rng.choice(
            [f"({area}) {exch}-{line}", f"{area}-{exch}-{line}", f"{area}.{exch}.{line}"]
        )
    if country == "gb":
        if rng.random() < 0.5:
            return f"+44 20 7946 0{d(3)}" if intl else f"020 7946 0{d(3)}"
        mob = f"79{rng.randint(0, 9)}{d(1)}"
        return f"+44 {mob} {d(6)}" if intl else f"0{mob} {d(6)}"
    if country == "de":
        if rng.random() < 0.5:
            area = rng.choice(["30", "89", "40", "221", "69", "711"])
            sub = d(8 - len(area) + 2)
            return f"+49 {area} {sub}" if intl else f"0{area} {sub}"
        mob = rng.choice(["151", "160", "170", "171", "176", "157"])
        return f"+49 {mob} {d(8)}" if intl else f"0{mob} {d(7)}"
    if country == "fr":
        first = rng.choice(["1", "6", "7", "4", "5"])
        groups = " ".join(d(2) for _ in range(4))
        return f"+33 {first} {groups}" if intl else f"0{first} {groups}"
    if country == "es":
        if rng.random() < 0.5:
            n = f"6{d(2)} {d(3)} {d(3)}"
            return f"+34 {n}" if intl else n
        n = f"91 {d(3)} {d(2)} {d(2)}"
        return f"+34 {n}" if intl else n
    if country == "it":
        if rng.random() < 0.5:
            return f"+39 06 {d(4)} {d(4)}" if intl else f"06 {d(4)} {d(4)}"
        mob = f"3{rng.choice(['33', '35', '38', '47', '49'])}"
        return f"+39 {mob} {d(3)} {d(4)}" if intl else f"{mob} {d(3)} {d(4)}"
    if country == "jp":
        if rng.random() < 0.5:
            return f"+81 3-{d(4)}-{d(4)}" if intl else f"03-{d(4)}-{d(4)}"
        mob = rng.choice(["90", "80", "70"])
        return f"+81 {mob}-{d(4)}-{d(4)}" if intl else f"0{mob}-{d(4)}-{d(4)}"
    if country == "in":
        mob = f"{rng.choice('9876')}{d(4)} {d(5)}"
        return f"+91 {mob}" if intl else f"0{mob}"
    if country == "br":
        area = rng.choice(["11", "21", "31", "41", "51", "61"])
        n = f"9{d(4)}-{d(4)}"
        return f"+55 {area} {n}" if intl else f"({area}) {n}"
    if country == "nl":
        if rng.random() < 0.5:
            return f"+31 20 {d(3)} {d(4)}" if intl else f"020 {d(3)} {d(4)}"
        return f"+31 6 {d(8)}" if intl else f"06-{d(8)}"
    if country == "mx":
        return f"+52 55 {d(4)} {d(4)}" if intl else f"55 {d(4)} {d(4)}"
    if country == "au":
        if rng.random() < 0.5:
            return f"+61 2 {d(4)} {d(4)}" if intl else f"(02) {d(4)} {d(4)}"
        return f"+61 4{d(2)} {d(3)} {d(3)}" if intl else f"04{d(2)} {d(3)} {d(3)}"
    raise ValueError(country)


PHONE_COUNTRIES = ["us", "gb", "de", "fr", "es", "it", "jp", "in", "br", "nl", "mx", "au"]

# --------------------------------------------------------------------------------------------
# Checksummed identifiers, computed from their public definitions (Luhn, ISO 13616 mod 97, EAN).
# --------------------------------------------------------------------------------------------


def luhn_complete(prefix: str, length: int, rng: random.Random) -> str:
    body = prefix + _digits(rng, length - len(prefix) - 1)
    total = 0
    for i, ch in enumerate(reversed(body)):
        n = int(ch)
        if i % 2 == 0:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return body + str((10 - total % 10) % 10)


def card(rng: random.Random, sep: str | None = None) -> str:
    brand = rng.choice(["visa", "mc", "mc2", "amex", "discover", "jcb"])
    if brand == "amex":
        num = luhn_complete(rng.choice(["34", "37"]), 15, rng)
        groups = [num[:4], num[4:10], num[10:]]
    else:
        prefix = {
            "visa": "4",
            "mc": str(rng.randint(51, 55)),
            "mc2": str(rng.randint(2221, 2720)),
            "discover": "6011",
            "jcb": str(rng.randint(3528, 3589)),
        }[brand]
        num = luhn_complete(prefix, 16, rng)
        groups = [num[i : i + 4] for i in range(0, 16, 4)]
    if sep is None:
        sep = rng.choice([" ", "-", ""])
    return sep.join(groups)


_IBAN_BBAN: dict[str, Callable[[random.Random], str]] = {
    "DE": lambda r: _digits(r, 18),
    "FR": lambda r: _digits(r, 23),
    "ES": lambda r: _digits(r, 20),
    "NL": lambda r: r.choice(["ABNA", "RABO", "INGB", "TRIO"]) + _digits(r, 10),
    "IT": lambda r: r.choice(string.ascii_uppercase) + _digits(r, 22),
    "GB": lambda r: r.choice(["NWBK", "BARC", "LOYD", "HBUK"]) + _digits(r, 14),
    "BE": lambda r: _digits(r, 12),
    "AT": lambda r: _digits(r, 16),
    "CH": lambda r: _digits(r, 17),
}


def iban(rng: random.Random, country: str | None = None, spaced: bool | None = None) -> str:
    cc = country or rng.choice(list(_IBAN_BBAN))
    bban = _IBAN_BBAN[cc](rng)
    rearranged = bban + cc + "00"
    numeric = "".join(str(int(ch, 36)) for ch in rearranged)
    check = 98 - int(numeric) % 97
    value = f"{cc}{check:02d}{bban}"
    if spaced if spaced is not None else rng.random() < 0.5:
        value = " ".join(value[i : i + 4] for i in range(0, len(value), 4))
    return value


def ean13(rng: random.Random) -> str:
    body = rng.choice(["400", "300", "500", "590", "880", "789"]) + _digits(rng, 9)
    total = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(body))
    return body + str((10 - total % 10) % 10)


def isbn13(rng: random.Random) -> str:
    body = "978" + _digits(rng, 9)
    total = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(body))
    full = body + str((10 - total % 10) % 10)
    return f"{full[:3]}-{full[3]}-{full[4:6]}-{full[6:12]}-{full[12]}"


def ssn(rng: random.Random) -> str:
    area = rng.choice([a for a in range(1, 900) if a != 666])
    return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def ipv4(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.3:
        return f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    if kind < 0.5:
        return f"192.168.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    return ".".join(str(x) for x in (rng.randint(1, 223), *(rng.randint(0, 255) for _ in range(3))))


def ipv6(rng: random.Random) -> str:
    groups = [f"{rng.randint(0, 0xFFFF):x}" for _ in range(8)]
    style = rng.random()
    if style < 0.4:
        return ":".join(["2a02", *groups[1:]])
    if style < 0.8:
        return f"2001:db8:{groups[2]}::{groups[6]}:{groups[7]}"
    return f"fe80::{groups[5]}:{groups[6]}:{groups[7]}"


# --------------------------------------------------------------------------------------------
# Street addresses, written the way each locale writes them.
# --------------------------------------------------------------------------------------------


def address(rng: random.Random, locale: str) -> str:
    n = rng.randint(1, 250)
    if locale == "us":
        street = rng.choice(
            [
                "Main",
                "Oak",
                "Maple",
                "Cedar",
                "Elm",
                "Washington",
                "Lake",
                "Hill",
                "Sunset",
                "Park",
                "Pine",
                "Lincoln",
                "Madison",
            ]
        )
        suffix = rng.choice(
            [
                "Street",
                "St",
                "Avenue",
                "Ave",
                "Road",
                "Rd",
                "Boulevard",
                "Blvd",
                "Lane",
                "Drive",
                "Court",
                "Way",
                "Place",
            ]
        )
        apt = rng.choice(["", "", f", Apt {rng.randint(1, 30)}{rng.choice('ABCD')}"])
        city, state = rng.choice(
            [
                ("Springfield", "IL"),
                ("Austin", "TX"),
                ("Portland", "OR"),
                ("Denver", "CO"),
                ("Albany", "NY"),
            ]
        )
        return f"{n * 7} {street} {suffix}{apt}, {city}, {state} {_digits(rng, 5)}"
    if locale == "gb":
        street = rng.choice(
            [
                "Baker Street",
                "Station Road",
                "High Street",
                "Church Lane",
                "Victoria Road",
                "Mill Lane",
            ]
        )
        city = rng.choice(["London NW1 6XE", "Leeds LS1 4DY", "Bristol BS1 5TR", "York YO1 7HH"])
        return f"{n}{rng.choice(['', '', 'B'])} {street}, {city}"
    if locale == "de":
        stem = rng.choice(
            [
                "Haupt",
                "Bahnhof",
                "Garten",
                "Schiller",
                "Goethe",
                "Linden",
                "Kirch",
                "Berg",
                "Wald",
                "Mozart",
                "Dorf",
                "Schul",
                "Rosen",
            ]
        )
        kind = rng.choice(["straße", "str.", "weg", "gasse", "allee", "platz", "strasse"])
        plz_city = rng.choice(
            ["10115 Berlin", "80331 München", "20095 Hamburg", "50667 Köln", "01067 Dresden"]
        )
        if rng.random() < 0.2:
            return f"{rng.choice(['Berliner', 'Frankfurter', 'Hamburger'])} Straße {n}, {plz_city}"
        return f"{stem}{kind} {n}{rng.choice(['', '', 'a'])}, {plz_city}"
    if locale == "fr":
        kind = rng.choice(
            ["rue", "avenue", "boulevard", "place", "impasse", "allée", "chemin", "quai"]
        )
        name = rng.choice(
            [
                "de la Paix",
                "Victor Hugo",
                "du Faubourg Saint-Honoré",
                "des Lilas",
                "Jean Jaurès",
                "de la République",
                "Pasteur",
                "du Moulin",
                "des Écoles",
                "Gambetta",
            ]
        )
        cp = rng.choice(
            ["75002 Paris", "69003 Lyon", "13001 Marseille", "31000 Toulouse", "33000 Bordeaux"]
        )
        bis = rng.choice(["", "", "", " bis"])
        return f"{n}{bis} {kind} {name}, {cp}"
    if locale == "es":
        kind = rng.choice(["Calle", "C/", "Avenida", "Paseo", "Plaza"])
        name = rng.choice(
            [
                "Mayor",
                "de Alcalá",
                "Gran Vía",
                "de Gracia",
                "del Prado",
                "de la Constitución",
                "Real",
                "de Serrano",
            ]
        )
        cp = rng.choice(["28013 Madrid", "08007 Barcelona", "41001 Sevilla", "46002 Valencia"])
        floor = rng.choice(["", "", f", {rng.randint(1, 8)}º {rng.choice('ABCD')}"])
        return f"{kind} {name}{rng.choice([' ', ', '])}{n}{floor}, {cp}"
    if locale == "it":
        kind = rng.choice(["Via", "Viale", "Piazza", "Corso"])
        name = rng.choice(
            [
                "Roma",
                "Garibaldi",
                "Giuseppe Verdi",
                "Vittorio Emanuele II",
                "Dante",
                "della Libertà",
            ]
        )
        cap = rng.choice(["00184 Roma", "20122 Milano", "50123 Firenze", "80133 Napoli"])
        return f"{kind} {name}, {n}, {cap}"
    if locale == "br":
        kind = rng.choice(["Rua", "Avenida", "Av.", "Travessa", "Alameda"])
        name = rng.choice(
            [
                "das Flores",
                "Paulista",
                "Augusta",
                "XV de Novembro",
                "Sete de Setembro",
                "Santos Dumont",
            ]
        )
        tail = rng.choice(
            [" - Centro, São Paulo - SP", ", apto 12 - Rio de Janeiro - RJ", " - Curitiba - PR", ""]
        )
        return f"{kind} {name}, {n * 3}{tail}, {_digits(rng, 5)}-{_digits(rng, 3)}"
    if locale == "jp":
        ward = rng.choice(
            [
                ("Shibuya", "Shibuya-ku", "Tokyo"),
                ("Umeda", "Kita-ku", "Osaka"),
                ("Ginza", "Chuo-ku", "Tokyo"),
                ("Sakae", "Naka-ku", "Nagoya"),
            ]
        )
        return f"{rng.randint(1, 9)}-{rng.randint(1, 30)}-{rng.randint(1, 20)} {ward[0]}, {ward[1]}, {ward[2]} {_digits(rng, 3)}-{_digits(rng, 4)}"
    if locale == "in":
        return rng.choice(
            [
                f"Flat {rng.randint(1, 20)}{rng.choice('ABC')}, {n} MG Road, Bengaluru {560000 + rng.randint(1, 99)}",
                f"{n} Nehru Street, T. Nagar, Chennai {600000 + rng.randint(1, 99)}",
                f"House No. {n}, Linking Road, Bandra West, Mumbai {400000 + rng.randint(1, 99)}",
                f"{n}/{rng.randint(1, 9)} Park Street, Kolkata {700000 + rng.randint(1, 99)}",
            ]
        )
    if locale == "nl":
        street = rng.choice(
            [
                "Keizersgracht",
                "Prinsengracht",
                "Stationsstraat",
                "Dorpsstraat",
                "Kerklaan",
                "Marktplein",
            ]
        )
        return f"{street} {n}, {_digits(rng, 4)} {rng.choice(['AB', 'CJ', 'KL'])} {rng.choice(['Amsterdam', 'Utrecht', 'Leiden'])}"
    raise ValueError(locale)


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def with_nulls(values: list[object], rate: float, rng: random.Random) -> list[object]:
    return [None if rng.random() < rate else v for v in values]


def birth_date(rng: random.Random) -> dt.date:
    return dt.date(1938, 1, 1) + dt.timedelta(days=rng.randint(0, 365 * 68))


def recent_date(rng: random.Random, start: int = 2022) -> dt.date:
    return dt.date(start, 1, 1) + dt.timedelta(days=rng.randint(0, 900))


def timestamp(rng: random.Random) -> dt.datetime:
    return dt.datetime(2023, 1, 1) + dt.timedelta(seconds=rng.randint(0, 60 * 86400 * 9))


MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------


def _clinic(rng: random.Random, rows: int) -> LabelledTable:
    t = LabelledTable("clinic_patients")
    c = t.columns
    names = [person(rng, ["de"]) for _ in range(rows)]
    c.append(
        LabelledColumn(
            "patient_no",
            pa.string(),
            [f"P-{i:06d}" for i in rng.sample(range(1, 999999), rows)],
            None,
            note="id",
        )
    )
    c.append(
        LabelledColumn(
            "vorname",
            pa.string(),
            [f for f, _ in names],
            "PERSON",
            note="German first names, one token",
        )
    )
    c.append(
        LabelledColumn(
            "nachname", pa.string(), [last for _, last in names], "PERSON", note="German surnames"
        )
    )
    c.append(
        LabelledColumn(
            "geburtsdatum",
            pa.date32(),
            [birth_date(rng) for _ in range(rows)],
            "DATE_OF_BIRTH",
            note="date type, German name",
        )
    )
    c.append(
        LabelledColumn(
            "aufnahme_datum",
            pa.date32(),
            [recent_date(rng) for _ in range(rows)],
            None,
            doc="Tag der stationären Aufnahme",
            note="admission date",
        )
    )
    c.append(
        LabelledColumn(
            "telefon",
            pa.string(),
            with_nulls([phone(rng, "de") for _ in range(rows)], 0.2, rng),
            "PHONE_NUMBER",
        )
    )
    c.append(
        LabelledColumn(
            "kontoverbindung",
            pa.string(),
            [iban(rng, "DE") for _ in range(rows)],
            "IBAN_CODE",
            doc="IBAN für Erstattungen",
        )
    )
    c.append(
        LabelledColumn(
            "anschrift", pa.string(), [address(rng, "de") for _ in range(rows)], "STREET_ADDRESS"
        )
    )
    c.append(
        LabelledColumn(
            "zimmer",
            pa.string(),
            [
                f"{rng.choice('ABC')}{rng.randint(1, 4)}.{rng.randint(1, 40):02d}"
                for _ in range(rows)
            ],
            None,
            note="room code with dots",
        )
    )
    notes = [
        "Patient reports mild headache after exercise; advised hydration and rest.",
        "Follow-up in two weeks, blood pressure stable.",
        "No allergies known. Discharged in good condition.",
        "Wound healing well, dressing changed.",
        "Requested vegetarian meals during the stay.",
        "Physiotherapy twice a week recommended.",
        "Slight fever overnight, resolved by morning.",
    ]
    c.append(
        LabelledColumn(
            "clinical_note",
            pa.string(),
            [rng.choice(notes) for _ in range(rows)],
            None,
            note="free text without identifiers",
        )
    )
    return t


def _hr(rng: random.Random, rows: int) -> LabelledTable:
    t = LabelledTable("hr_employees")
    c = t.columns
    loc = ["in"]
    c.append(
        LabelledColumn(
            "employee_code",
            pa.string(),
            [f"EMP-{rng.randint(1000, 9999)}" for _ in range(rows)],
            None,
        )
    )
    c.append(
        LabelledColumn(
            "full_name",
            pa.string(),
            [full_name(rng, loc) for _ in range(rows)],
            "PERSON",
            note="Indian names",
        )
    )
    c.append(
        LabelledColumn(
            "work_email",
            pa.string(),
            [email(rng, loc).split("@")[0] + "@tcs-example.in" for _ in range(rows)],
            "EMAIL_ADDRESS",
        )
    )
    c.append(
        LabelledColumn(
            "mobile",
            pa.string(),
            with_nulls([phone(rng, "in") for _ in range(rows)], 0.3, rng),
            "PHONE_NUMBER",
        )
    )
    c.append(
        LabelledColumn(
            "salary_inr",
            pa.float64(),
            [round(rng.uniform(300000, 4500000), 2) for _ in range(rows)],
            None,
        )
    )
    c.append(
        LabelledColumn(
            "department", pa.string(), [rng.choice(DEPARTMENTS) for _ in range(rows)], None
        )
    )
    c.append(
        LabelledColumn(
            "job_title", pa.string(), [rng.choice(JOB_TITLES) for _ in range(rows)], None
        )
    )
    c.append(
        LabelledColumn(
            "hire_date",
            pa.string(),
            [recent_date(rng, 2010).isoformat() for _ in range(rows)],
            None,
            note="ISO date strings, not birth",
        )
    )
    c.append(
        LabelledColumn(
            "date_of_birth",
            pa.string(),
            [birth_date(rng).strftime("%d/%m/%Y") for _ in range(rows)],
            "DATE_OF_BIRTH",
            note="DD/MM/YYYY strings",
        )
    )
    c.append(
        LabelledColumn(
            "us_ssn",
            pa.string(),
            with_nulls([ssn(rng) for _ in range(rows)], 0.5, rng),
            "US_SSN",
            doc="Only for staff on US payroll",
        )
    )
    c.append(
        LabelledColumn("grade", pa.string(), [f"L{rng.randint(1, 9)}" for _ in range(rows)], None)
    )
    c.append(
        LabelledColumn(
            "home_address",
            pa.string(),
            [address(rng, "in") for _ in range(rows)],
            "STREET_ADDRESS",
            note="Indian addresses",
        )
    )
    c.append(
        LabelledColumn(
            "religion",
            pa.string(),
            with_nulls([rng.choice(RELIGIONS) for _ in range(rows)], 0.4, rng),
            "NRP",
            doc="Self-declared, optional",
        )
    )
    c.append(
        LabelledColumn(
            "birth_year_bucket",
            pa.string(),
            [f"{y}s" for y in (rng.choice([1960, 1970, 1980, 1990, 2000]) for _ in range(rows))],
            None,
            note="coarse bucket, not a date of birth",
        )
    )
    return t


def _bookings(rng: random.Random, rows: int) -> LabelledTable:
    t = LabelledTable("hotel_bookings")
    c = t.columns
    loc = ["ja", "br", "fr", "es", "en", "de", "ng"]
    c.append(
        LabelledColumn(
            "booking_ref",
            pa.string(),
            [
                "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(6))
                for _ in range(rows)
            ],
            None,
        )
    )
    c.append(
        LabelledColumn(
            "guest_name",
            pa.string(),
            [full_name(rng, loc) for _ in range(rows)],
            "PERSON",
            note="international names",
        )
    )
    c.append(
        LabelledColumn(
            "guest_email", pa.string(), [email(rng, loc) for _ in range(rows)], "EMAIL_ADDRESS"
        )
    )
    c.append(
        LabelledColumn(
            "guest_phone",
            pa.string(),
            [phone(rng, rng.choice(PHONE_COUNTRIES), international=True) for _ in range(rows)],
            "PHONE_NUMBER",
            note="international format, 12 countries",
        )
    )
    c.append(
        LabelledColumn("check_in", pa.date32(), [recent_date(rng, 2024) for _ in range(rows)], None)
    )
    c.append(LabelledColumn("nights", pa.int32(), [rng.randint(1, 14) for _ in range(rows)], None))
    c.append(
        LabelledColumn(
            "room_rate",
            pa.decimal128(10, 2),
            [decimal.Decimal(f"{rng.uniform(60, 900):.2f}") for _ in range(rows)],
            None,
        )
    )
    c.append(
        LabelledColumn(
            "currency",
            pa.string(),
            [rng.choice(["EUR", "USD", "JPY", "BRL", "GBP", "INR"]) for _ in range(rows)],
            None,
        )
    )
    c.append(
        LabelledColumn(
            "guest_country",
            pa.string(),
            [rng.choice(COUNTRIES) for _ in range(rows)],
            None,
            note="country is not PII in our policy",
        )
    )
    c.append(
        LabelledColumn(
            "city",
            pa.string(),
            [rng.choice(CITIES) for _ in range(rows)],
            None,
            note="city is not tagged",
        )
    )
    c.append(
        LabelledColumn(
            "card_on_file",
            pa.string(),
            [card(rng) for _ in range(rows)],
            "CREDIT_CARD",
            note="mixed separators, six brands",
        )
    )
    c.append(
        LabelledColumn(
            "status",
            pa.string(),
            [rng.choice(["confirmed", "cancelled", "no_show", "checked_out"]) for _ in range(rows)],
            None,
        )
    )
    reqs_plain = [
        "Late check-in around 11pm.", "Quiet room please, high floor if possible.",
        "Extra pillows and a baby cot.", "We are celebrating our anniversary.",
        "Airport pickup needed, flight lands at 7:40.", "Vegan breakfast please.",
        "Need a parking spot for a small car.", "Twin beds instead of a double.",
    ]  # fmt: skip
    reqs = []
    for _ in range(rows):
        if rng.random() < 0.35:
            p = phone(rng, rng.choice(PHONE_COUNTRIES))
            reqs.append(
                rng.choice(
                    [
                        f"Please call me on {p} when the room is ready.",
                        f"Arriving late, my mobile is {p}.",
                        f"Driver can reach me at {p}.",
                    ]
                )
            )
        else:
            reqs.append(rng.choice(reqs_plain))
    c.append(
        LabelledColumn(
            "special_requests",
            pa.string(),
            with_nulls(reqs, 0.3, rng),
            "PHONE_NUMBER",
            free_text=True,
            note="free text, a third with phones",
        )
    )
    c.append(
        LabelledColumn(
            "contact_method",
            pa.string(),
            [rng.choice(["email", "phone", "sms", "post"]) for _ in range(rows)],
            None,
            note="enum named like PII",
        )
    )
    return t


def _payments(rng: random.Random, rows: int) -> LabelledTable:
    t = LabelledTable("sepa_transfers")
    c = t.columns
    c.append(
        LabelledColumn(
            "transfer_id",
            pa.string(),
            [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(rows)],
            None,
        )
    )
    c.append(
        LabelledColumn(
            "debtor_iban",
            pa.string(),
            [iban(rng) for _ in range(rows)],
            "IBAN_CODE",
            note="nine countries, spaced and compact",
        )
    )
    c.append(
        LabelledColumn(
            "creditor_name",
            pa.string(),
            [rng.choice(COMPANIES) for _ in range(rows)],
            None,
            note="companies are not PII",
        )
    )
    c.append(
        LabelledColumn(
            "amount",
            pa.string(),
            [
                rng.choice([f"EUR {rng.uniform(5, 9000):,.2f}", f"{rng.uniform(5, 9000):.2f}"])
                for _ in range(rows)
            ],
            None,
        )
    )
    c.append(
        LabelledColumn(
            "remittance_info",
            pa.string(),
            [
                rng.choice(
                    [
                        f"Invoice {rng.randint(2021, 2024)}-{rng.randint(1, 9999):04d}",
                        f"Rent {rng.choice(MONTHS)} {rng.randint(2022, 2024)}",
                        f"Order {rng.randint(100000, 999999)} thank you",
                        f"Membership fee Q{rng.randint(1, 4)}",
                    ]
                )
                for _ in range(rows)
            ],
            None,
        )
    )
    c.append(
        LabelledColumn(
            "card_pan",
            pa.string(),
            [card(rng, sep="") for _ in range(rows)],
            "CREDIT_CARD",
            doc="Primary account number when paid by card",
            note="no separators",
        )
    )
    c.append(
        LabelledColumn(
            "bic",
            pa.string(),
            [
                rng.choice(
                    [
                        "DEUTDEFFXXX",
                        "BNPAFRPPXXX",
                        "CAIXESBBXXX",
                        "ABNANL2A",
                        "UNCRITMMXXX",
                        "NWBKGB2L",
                        "GEBABEBB",
                        "BKAUATWW",
                        "UBSWCHZH80A",
                    ]
                )
                for _ in range(rows)
            ],
            None,
        )
    )
    c.append(
        LabelledColumn(
            "value_date", pa.string(), [recent_date(rng).isoformat() for _ in range(rows)], None
        )
    )
    c.append(
        LabelledColumn(
            "iban_country", pa.string(), [rng.choice(list(_IBAN_BBAN)) for _ in range(rows)], None
        )
    )
    msgs = []
    for _ in range(rows):
        r = rng.random()
        if r < 0.3:
            msgs.append(f"Please refund the duplicate debit to {iban(rng, spaced=True)} asap.")
        elif r < 0.4:
            msgs.append(f"Wrong amount charged, contact me at {email(rng, ['de', 'fr', 'es'])}.")
        else:
            msgs.append(
                rng.choice(
                    [
                        "Standing order cancelled as agreed.",
                        "Thanks for the quick processing.",
                        "Second reminder sent, still unpaid.",
                        "Duplicate payment, please check.",
                    ]
                )
            )
    c.append(
        LabelledColumn(
            "dispute_message",
            pa.string(),
            msgs,
            "IBAN_CODE",
            free_text=True,
            note="free text, 30% IBANs, 10% emails",
        )
    )
    return t


def _netlog(rng: random.Random, rows: int) -> LabelledTable:
    t = LabelledTable("edge_requests")
    c = t.columns
    c.append(LabelledColumn("event_id", pa.int64(), rng.sample(range(10**9, 10**10), rows), None))
    c.append(
        LabelledColumn("client_ip", pa.string(), [ipv4(rng) for _ in range(rows)], "IP_ADDRESS")
    )
    c.append(
        LabelledColumn(
            "client_ipv6",
            pa.string(),
            with_nulls([ipv6(rng) for _ in range(rows)], 0.4, rng),
            "IP_ADDRESS",
        )
    )
    uas = [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
        "curl/8.5.0", "python-requests/2.31.0",
        "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    ]  # fmt: skip
    c.append(
        LabelledColumn("user_agent", pa.string(), [rng.choice(uas) for _ in range(rows)], None)
    )
    c.append(
        LabelledColumn(
            "ts",
            pa.string(),
            [timestamp(rng).strftime("%Y-%m-%dT%H:%M:%SZ") for _ in range(rows)],
            None,
            note="timestamp strings",
        )
    )
    c.append(
        LabelledColumn(
            "received_at", pa.timestamp("us"), [timestamp(rng) for _ in range(rows)], None
        )
    )
    c.append(
        LabelledColumn(
            "status_code",
            pa.string(),
            [rng.choice(["200", "201", "204", "301", "404", "500", "503"]) for _ in range(rows)],
            None,
        )
    )
    c.append(
        LabelledColumn(
            "body_sha256", pa.string(), [f"{rng.getrandbits(256):064x}" for _ in range(rows)], None
        )
    )
    c.append(
        LabelledColumn(
            "app_version",
            pa.string(),
            [f"{rng.randint(1, 4)}.{rng.randint(0, 20)}.{rng.randint(0, 30)}" for _ in range(rows)],
            None,
        )
    )
    c.append(
        LabelledColumn(
            "build",
            pa.string(),
            [f"10.0.{rng.randint(17000, 22999)}.{rng.randint(1, 4000)}" for _ in range(rows)],
            None,
            note="four-part versions",
        )
    )
    c.append(
        LabelledColumn(
            "session_id",
            pa.string(),
            [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(rows)],
            None,
        )
    )
    c.append(
        LabelledColumn(
            "bytes_sent", pa.int64(), [rng.randint(200, 5_000_000) for _ in range(rows)], None
        )
    )
    c.append(
        LabelledColumn(
            "latency_ms",
            pa.float64(),
            [round(rng.lognormvariate(3, 1), 3) for _ in range(rows)],
            None,
        )
    )
    c.append(
        LabelledColumn(
            "path",
            pa.string(),
            [
                f"/api/v{rng.randint(1, 3)}/orders/{rng.randint(100000, 999999)}/items"
                for _ in range(rows)
            ],
            None,
        )
    )
    lines = [
        "Fix null pointer in parser (#4821)", "Bump version to 3.12.1",
        "Retry upstream after 503 from 10.0.0.0/8 pool", "Cache miss for key orders:2024:03",
        "Rate limit exceeded for tenant 7781", "TLS handshake timeout after 30s",
    ]  # fmt: skip
    c.append(
        LabelledColumn(
            "log_message",
            pa.string(),
            [rng.choice(lines) for _ in range(rows)],
            None,
            note="free text without PII",
        )
    )
    return t


def _warehouse(rng: random.Random, rows: int) -> LabelledTable:
    t = LabelledTable("warehouse_items")
    c = t.columns
    c.append(
        LabelledColumn(
            "sku",
            pa.string(),
            [f"SKU-{rng.randint(10000, 99999)}-{rng.randint(100, 999)}" for _ in range(rows)],
            None,
        )
    )
    c.append(
        LabelledColumn(
            "product_code",
            pa.string(),
            [
                f"{rng.choice(string.ascii_uppercase)}{rng.choice(string.ascii_uppercase)}-{rng.randint(1000, 9999)}-{rng.choice(string.ascii_uppercase)}{rng.choice(string.ascii_uppercase)}"
                for _ in range(rows)
            ],
            None,
        )
    )
    c.append(
        LabelledColumn(
            "product_name",
            pa.string(),
            [rng.choice(PRODUCTS) for _ in range(rows)],
            None,
            note="capitalised two-word names",
        )
    )
    c.append(
        LabelledColumn(
            "ean", pa.string(), [ean13(rng) for _ in range(rows)], None, note="13-digit barcodes"
        )
    )
    c.append(
        LabelledColumn(
            "isbn",
            pa.string(),
            with_nulls([isbn13(rng) for _ in range(rows)], 0.7, rng),
            None,
            note="hyphenated digit groups",
        )
    )
    c.append(
        LabelledColumn(
            "tracking_no",
            pa.string(),
            [
                f"1Z{''.join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(6))}{_digits(rng, 10)}"
                for _ in range(rows)
            ],
            None,
        )
    )
    c.append(
        LabelledColumn(
            "lot_number",
            pa.string(),
            [
                f"{rng.randint(2021, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 999999):06d}"
                for _ in range(rows)
            ],
            None,
            note="date-like groups + digits",
        )
    )
    c.append(
        LabelledColumn(
            "order_id",
            pa.string(),
            [f"ORD-{rng.randint(2021, 2024)}-{rng.randint(1, 999999):06d}" for _ in range(rows)],
            None,
        )
    )
    c.append(
        LabelledColumn(
            "order_date",
            pa.date32(),
            [recent_date(rng) for _ in range(rows)],
            None,
            note="a date that is not a birth date",
        )
    )
    c.append(
        LabelledColumn(
            "invoice_no",
            pa.string(),
            [f"INV/{rng.randint(2021, 2024)}/{rng.randint(1, 99999):05d}" for _ in range(rows)],
            None,
        )
    )
    c.append(
        LabelledColumn(
            "supplier_phone_model",
            pa.string(),
            [
                rng.choice(["iPhone 14", "Galaxy S23", "Pixel 8 Pro", "Xperia 10 V", "Nokia G42"])
                for _ in range(rows)
            ],
            None,
            note="name mentions phone",
        )
    )
    c.append(
        LabelledColumn(
            "weight_kg", pa.float64(), [round(rng.uniform(0.05, 40), 3) for _ in range(rows)], None
        )
    )
    c.append(
        LabelledColumn("in_stock", pa.bool_(), [rng.random() < 0.8 for _ in range(rows)], None)
    )
    c.append(
        LabelledColumn("quantity", pa.int32(), [rng.randint(0, 5000) for _ in range(rows)], None)
    )
    c.append(
        LabelledColumn(
            "postal_code",
            pa.string(),
            [_digits(rng, 5) for _ in range(rows)],
            None,
            note="zip-like numbers",
        )
    )
    c.append(
        LabelledColumn(
            "unit_price", pa.string(), [f"{rng.uniform(1, 2000):.2f}" for _ in range(rows)], None
        )
    )
    c.append(
        LabelledColumn(
            "gtin_14",
            pa.string(),
            [_digits(rng, 14) for _ in range(rows)],
            None,
            note="long digit strings",
        )
    )
    reviews = [
        "Arrived in Madrid two days early, great packaging.", "Works as described, battery lasts long.",
        "Shipped to Germany without problems.", "The colour is darker than in the photos.",
        "Bought a second one for my office in London.", "Stopped working after a month, disappointed.",
        "Excellent value, would recommend to friends.", "Assembly took ten minutes, instructions clear.",
    ]  # fmt: skip
    c.append(
        LabelledColumn(
            "review_text",
            pa.string(),
            [rng.choice(reviews) for _ in range(rows)],
            None,
            note="free text with places only",
        )
    )
    return t


def _crm(rng: random.Random, rows: int) -> LabelledTable:
    t = LabelledTable("crm_contacts")
    c = t.columns
    c.append(
        LabelledColumn(
            "col_a",
            pa.string(),
            [email(rng, ["en", "de", "fr"]) for _ in range(rows)],
            "EMAIL_ADDRESS",
            note="no hint in the name",
        )
    )
    c.append(
        LabelledColumn(
            "field_7",
            pa.string(),
            [
                phone(rng, rng.choice(["us", "gb", "fr", "jp"]), international=True)
                for _ in range(rows)
            ],
            "PHONE_NUMBER",
            note="no hint in the name",
        )
    )
    c.append(
        LabelledColumn(
            "c12",
            pa.string(),
            [phone(rng, "br", international=False) for _ in range(rows)],
            "PHONE_NUMBER",
            doc="Customer's mobile number",
            note="hint only in the doc",
        )
    )
    c.append(
        LabelledColumn(
            "author",
            pa.string(),
            [full_name(rng, ["en", "ng", "ja"]) for _ in range(rows)],
            "PERSON",
        )
    )
    c.append(
        LabelledColumn(
            "last_name",
            pa.string(),
            [person(rng, ["ja", "br"])[1] for _ in range(rows)],
            "PERSON",
            note="Japanese/Brazilian surnames",
        )
    )
    c.append(
        LabelledColumn(
            "us_address", pa.string(), [address(rng, "us") for _ in range(rows)], "STREET_ADDRESS"
        )
    )
    c.append(
        LabelledColumn(
            "uk_address", pa.string(), [address(rng, "gb") for _ in range(rows)], "STREET_ADDRESS"
        )
    )
    c.append(
        LabelledColumn(
            "adresse", pa.string(), [address(rng, "fr") for _ in range(rows)], "STREET_ADDRESS"
        )
    )
    c.append(
        LabelledColumn(
            "direccion", pa.string(), [address(rng, "es") for _ in range(rows)], "STREET_ADDRESS"
        )
    )
    c.append(
        LabelledColumn(
            "endereco", pa.string(), [address(rng, "br") for _ in range(rows)], "STREET_ADDRESS"
        )
    )
    c.append(
        LabelledColumn(
            "indirizzo", pa.string(), [address(rng, "it") for _ in range(rows)], "STREET_ADDRESS"
        )
    )
    c.append(
        LabelledColumn(
            "jusho",
            pa.string(),
            [address(rng, "jp") for _ in range(rows)],
            "STREET_ADDRESS",
            doc="Postal address (romanised)",
        )
    )
    c.append(
        LabelledColumn(
            "adres", pa.string(), [address(rng, "nl") for _ in range(rows)], "STREET_ADDRESS"
        )
    )
    c.append(
        LabelledColumn(
            "mailing_address",
            pa.string(),
            [address(rng, rng.choice(["us", "de", "fr", "es", "gb"])) for _ in range(rows)],
            "STREET_ADDRESS",
            note="mixed locales",
        )
    )
    c.append(
        LabelledColumn(
            "birthday",
            pa.string(),
            [
                (lambda d: f"{MONTHS[d.month - 1]} {d.day}, {d.year}")(birth_date(rng))
                for _ in range(rows)
            ],
            "DATE_OF_BIRTH",
            note="US long form",
        )
    )
    c.append(
        LabelledColumn(
            "fecha_nacimiento",
            pa.string(),
            [birth_date(rng).strftime("%d-%m-%Y") for _ in range(rows)],
            "DATE_OF_BIRTH",
        )
    )
    c.append(
        LabelledColumn(
            "dob",
            pa.date32(),
            with_nulls([birth_date(rng) for _ in range(rows)], 0.1, rng),
            "DATE_OF_BIRTH",
        )
    )
    c.append(
        LabelledColumn(
            "date",
            pa.date32(),
            [birth_date(rng) for _ in range(rows)],
            "DATE_OF_BIRTH",
            doc="Date of birth of the policy holder",
            note="hint only in the doc",
        )
    )
    c.append(
        LabelledColumn(
            "founded_on",
            pa.date32(),
            [birth_date(rng) for _ in range(rows)],
            None,
            doc="Date the organisation was founded",
            note="old dates, not people",
        )
    )
    c.append(
        LabelledColumn("signup_at", pa.timestamp("ms"), [timestamp(rng) for _ in range(rows)], None)
    )
    c.append(
        LabelledColumn(
            "nationality", pa.string(), [rng.choice(NATIONALITIES) for _ in range(rows)], "NRP"
        )
    )
    c.append(
        LabelledColumn(
            "ssn_raw",
            pa.string(),
            [ssn(rng).replace("-", "") for _ in range(rows)],
            "US_SSN",
            doc="Social security number without dashes",
        )
    )
    c.append(
        LabelledColumn(
            "msisdn",
            pa.int64(),
            [
                int(f"49{rng.choice(['151', '160', '171', '176'])}{_digits(rng, 8)}")
                for _ in range(rows)
            ],
            "PHONE_NUMBER",
            doc="Subscriber mobile number in E.164 digits",
            note="phone stored as an integer",
        )
    )
    c.append(
        LabelledColumn(
            "email_opt_in",
            pa.bool_(),
            [rng.random() < 0.5 for _ in range(rows)],
            None,
            note="name mentions email",
        )
    )
    c.append(
        LabelledColumn(
            "card_type",
            pa.string(),
            [rng.choice(["visa", "mastercard", "amex", "jcb"]) for _ in range(rows)],
            None,
            note="name mentions card",
        )
    )
    c.append(
        LabelledColumn(
            "phone_ext",
            pa.int32(),
            [rng.randint(100, 9999) for _ in range(rows)],
            None,
            note="short internal extension numbers",
        )
    )
    c.append(
        LabelledColumn("is_active", pa.bool_(), [rng.random() < 0.7 for _ in range(rows)], None)
    )
    c.append(
        LabelledColumn(
            "country_code",
            pa.string(),
            [rng.choice(["DE", "FR", "ES", "JP", "IN", "BR", "US", "GB"]) for _ in range(rows)],
            None,
        )
    )
    c.append(
        LabelledColumn(
            "loyalty_points", pa.int64(), [rng.randint(0, 250000) for _ in range(rows)], None
        )
    )
    return t


def _support(rng: random.Random, rows: int) -> LabelledTable:
    t = LabelledTable("helpdesk")
    c = t.columns
    bodies = []
    for _ in range(rows):
        r = rng.random()
        if r < 0.4:
            e = email(rng, ["en", "in", "de"])
            bodies.append(rng.choice([
                f"I can't reset my password, the link never arrives at {e}. Please help.",
                f"Please change my login from {e} to my new work address.",
                f"Invoices should go to {e} from now on, thanks!",
            ]))  # fmt: skip
        elif r < 0.5:
            p = phone(rng, rng.choice(["us", "gb", "in"]))
            bodies.append(f"Urgent: the export has been stuck since Monday, call me back on {p}.")
        else:
            bodies.append(rng.choice([
                "The dashboard shows no data since yesterday's update.",
                "How do I export the report as CSV?",
                "Feature request: dark mode for the mobile app.",
                "The app crashes when I open the settings page.",
                "Our SSO login loops back to the start page.",
                "Thanks, the issue is solved now.",
            ]))  # fmt: skip
    c.append(
        LabelledColumn(
            "ticket_text",
            pa.string(),
            bodies,
            "EMAIL_ADDRESS",
            free_text=True,
            note="40% emails, 10% phones",
        )
    )
    chats = []
    for _ in range(rows):
        if rng.random() < 0.5:
            n = full_name(rng, ["en", "in", "fr", "es"])
            chats.append(rng.choice([
                f"Hi, this is {n} from the accounts team, my parcel has not arrived.",
                f"Hello, my name is {n} and I would like to cancel my subscription.",
                f"{n} here, could you resend the invoice for March?",
            ]))  # fmt: skip
        else:
            chats.append(rng.choice([
                "Hi, my parcel has not arrived yet, can you check?",
                "Hello, I would like to cancel my subscription.",
                "Could you resend the invoice for March?",
                "Is there a discount for annual plans?",
            ]))  # fmt: skip
    c.append(
        LabelledColumn(
            "chat_opening",
            pa.string(),
            chats,
            "PERSON",
            free_text=True,
            note="half introduce themselves by name",
        )
    )
    feedback = []
    for _ in range(rows):
        if rng.random() < 0.08:
            feedback.append(
                f"Great support! If you need a reference, write to {email(rng, ['en', 'br'])}."
            )
        else:
            feedback.append(rng.choice([
                "Great support, fast answer.", "Took three days to get a reply.",
                "The agent was friendly and knew the product.", "Documentation could be clearer.",
                "Five stars, problem solved on the first call.",
            ]))  # fmt: skip
    c.append(
        LabelledColumn(
            "feedback",
            pa.string(),
            feedback,
            "EMAIL_ADDRESS",
            free_text=True,
            note="emails in only 8% of rows",
        )
    )
    de_msgs = []
    for _ in range(rows):
        if rng.random() < 0.4:
            de_msgs.append(
                f"Bitte rufen Sie mich unter {phone(rng, 'de', international=False)} zurück, danke."
            )
        else:
            de_msgs.append(
                rng.choice(
                    [
                        "Die Lieferung ist beschädigt angekommen.",
                        "Wann wird mein Paket zugestellt?",
                        "Ich möchte mein Abo kündigen.",
                        "Vielen Dank für die schnelle Hilfe!",
                    ]
                )
            )
    c.append(
        LabelledColumn(
            "nachricht",
            pa.string(),
            de_msgs,
            "PHONE_NUMBER",
            free_text=True,
            note="German free text, 40% phones",
        )
    )
    verify = []
    for _ in range(rows):
        if rng.random() < 0.35:
            d = birth_date(rng)
            verify.append(
                rng.choice(
                    [
                        f"Caller verified with date of birth {d.strftime('%d/%m/%Y')}.",
                        f"Identity confirmed, born {d.day} {MONTHS[d.month - 1]} {d.year}.",
                    ]
                )
            )
        else:
            verify.append(
                rng.choice(
                    [
                        "Caller could not be verified, no changes made.",
                        "Callback scheduled for tomorrow morning.",
                        "Password reset done after security questions.",
                    ]
                )
            )
    c.append(
        LabelledColumn(
            "agent_note",
            pa.string(),
            verify,
            "DATE_OF_BIRTH",
            free_text=True,
            note="35% mention a date of birth",
        )
    )
    c.append(
        LabelledColumn(
            "priority",
            pa.string(),
            [rng.choice(["low", "medium", "high", "urgent"]) for _ in range(rows)],
            None,
        )
    )
    c.append(
        LabelledColumn("opened_at", pa.timestamp("us"), [timestamp(rng) for _ in range(rows)], None)
    )
    c.append(
        LabelledColumn(
            "assignee_team",
            pa.string(),
            [rng.choice(["Tier 1", "Tier 2", "Billing", "Platform"]) for _ in range(rows)],
            None,
        )
    )
    return t


BUILDERS = (_clinic, _hr, _bookings, _payments, _netlog, _warehouse, _crm, _support)


def labelled_tables(rows: int = ROWS, seed: int = SEED) -> list[LabelledTable]:
    """Build every labelled table; the same ``rows`` and ``seed`` give the same values."""
    tables = []
    for i, build in enumerate(BUILDERS):
        tables.append(build(random.Random(seed * 101 + i), rows))
    return tables


def labelled_columns(rows: int = ROWS, seed: int = SEED) -> list[tuple[str, LabelledColumn]]:
    """Every labelled column as (table name, column)."""
    return [(t.name, c) for t in labelled_tables(rows, seed) for c in t.columns]


if __name__ == "__main__":
    cols = labelled_columns()
    pii = sum(1 for _, c in cols if c.label)
    print(f"{len(cols)} columns in {len(BUILDERS)} tables: {pii} PII, {len(cols) - pii} not")
    for table, col in cols:
        sample = [v for v in col.values if v is not None][:2]
        print(f"{table}.{col.name:<22} {col.label!s:<15} {sample}")
