"""A labelled evaluation set of table columns generated with Faker, split into tune and test halves.

Written before the classifier was changed for issue 11, and independently of its word lists: the
column names come from how people name columns (several languages, snake/camel/Pascal/upper case,
abbreviations, table prefixes, German compounds, opaque names such as ``col_7``), the values from
Faker (pinned in ``pyproject.toml``: another Faker version draws other values) across many locales.
Every column's label is what its generator produced, never a classifier's output.

PII: person names (``First Last``, ``Last, First``, first or last names alone, with titles, upper
case, kanji), emails, phone numbers (Faker's own per-locale formats, and valid numbers of sixteen
countries in international, national and E.164 notation, as text or as integers), payment cards
(plain, grouped in fours, with dashes), IBANs (plain and grouped), US SSNs, IPv4/IPv6 addresses,
street addresses (street line or the whole address), dates of birth (dates and strings in local
notations) and free text mentioning emails or phone numbers.

Look-alikes that are not PII: EAN-13/EAN-8/UPC-A barcodes, ISBNs, order and invoice numbers,
16-digit voucher numbers grouped in fours (no valid card checksum), SKUs, versions (including
four-part ones), coordinates, hashes, UUIDs, SWIFT/BIC codes, card expiry dates and providers,
amounts, timestamps, order dates, postcodes, cities, countries, company names, job titles, user
agents, URLs, email domains, free text without PII, integer ids and quantities.

Where the values alone cannot tell (Faker's phone numbers are random digits in a national layout;
a date of birth is a date), the column always has a name that says so in some language and style.
Everywhere else about one name in six is opaque.

The split is by table (a table's columns share a locale and a naming style): ordered by a hash of
their names, the first half of the tables is ``tune``, the other half ``test``. The test half is only ever scored, never inspected
while tuning; ``pii_eval.py`` prints mistakes for the tune half only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import random
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import phonenumbers
import pyarrow as pa
from faker import Faker
from pii_labelled import LabelledColumn, LabelledTable

SEED = 1111
TABLES = 56
ROWS = 250
#: Faker locales the tables are drawn from, with the language their column names may use.
LOCALES = {
    "en_US": "en", "en_GB": "en", "en_IN": "en", "de_DE": "de", "de_AT": "de", "de_CH": "de",
    "fr_FR": "fr", "es_ES": "es", "es_MX": "es", "it_IT": "it", "nl_NL": "nl", "pt_BR": "pt",
    "pt_PT": "pt", "pl_PL": "en", "sv_SE": "en", "ja_JP": "en",
}  # fmt: skip
#: Regions of valid phone numbers (the locale's own region is preferred).
PHONE_REGIONS = ("DE", "US", "GB", "FR", "ES", "IT", "NL", "BR", "JP", "IN", "PL", "SE", "MX",
                 "PT", "AT", "CH")  # fmt: skip
STYLES = ("snake", "snake", "camel", "pascal", "upper", "abbrev", "prefixed", "compound")

Gen = Callable[[Faker, random.Random], object]
S = pa.string()


@dataclass(frozen=True)
class Spec:
    """How to make one kind of column: its label, name words per language, values and type."""

    key: str
    label: str | None
    names: dict[str, tuple[str, ...]]
    gen: Gen | tuple[Gen, ...]  # several: one is picked per column (one format per column)
    type: pa.DataType = S
    opaque_ok: bool = True  # may get an uninformative name
    free_text: bool = False
    locales: tuple[str, ...] = ()  # only these locales (empty: any)


# --------------------------------------------------------------------------------------------
# value generators
# --------------------------------------------------------------------------------------------


def _group4(s: str, sep: str = " ") -> str:
    return sep.join(s[i : i + 4] for i in range(0, len(s), 4))


#: Card types, UPC codes and card providers differ between Faker's locales (or are missing):
#: they come from this one (seeded per set).
_US = Faker("en_US")


def _card(f: Faker, rng: random.Random) -> str:
    kind = rng.choice(["visa16", "visa16", "mastercard", "mastercard", "discover", "jcb16"])
    return str(_US.credit_card_number(kind))


def _amex_or_diners(f: Faker, rng: random.Random) -> str:
    return str(_US.credit_card_number(rng.choice(["amex", "diners", "visa16", "mastercard"])))


def _valid_phone(region: str, rng: random.Random) -> phonenumbers.PhoneNumber:
    """A valid mobile or fixed-line number of ``region`` (example number, random subscriber)."""
    kind = rng.choice(
        [phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE]
    )
    example = phonenumbers.example_number_for_type(region, kind)
    national = str(example.national_number)
    keep = max(2, len(national) // 3)
    for _ in range(200):
        digits = national[:keep] + "".join(str(rng.randrange(10)) for _ in national[keep:])
        n = phonenumbers.parse(f"+{example.country_code}{digits}")
        if phonenumbers.is_valid_number(n):
            return n
    return example


def _region_of(f: Faker) -> str:
    region = f.locales[0].split("_")[-1]
    return region if region in PHONE_REGIONS else "US"


def _phone(fmt: int) -> Gen:
    def gen(f: Faker, rng: random.Random) -> object:
        region = _region_of(f) if rng.random() < 0.8 else rng.choice(PHONE_REGIONS)
        return phonenumbers.format_number(_valid_phone(region, rng), fmt)

    return gen


def _phone_int(f: Faker, rng: random.Random) -> object:
    region = _region_of(f) if rng.random() < 0.8 else rng.choice(PHONE_REGIONS)
    return int(phonenumbers.format_number(_valid_phone(region, rng), 0)[1:])


def _de_mobile(f: Faker, rng: random.Random) -> object:
    prefix = rng.choice(["151", "152", "157", "159", "160", "170", "171", "176", "177", "178"])
    rest = "".join(str(rng.randrange(10)) for _ in range(rng.choice([7, 8])))
    return rng.choice([f"+49 {prefix} {rest}", f"+49 {prefix} {rest[:3]} {rest[3:]}",
                       f"0{prefix} {rest}", f"0{prefix}/{rest}", f"+49{prefix}{rest}"])  # fmt: skip


def _ean13(f: Faker, rng: random.Random) -> object:
    return f.ean13() if rng.random() < 0.5 else f.localized_ean13()


def _voucher(f: Faker, rng: random.Random) -> object:
    while True:  # sixteen digits in fours whose Luhn checksum fails (not a card)
        digits = "".join(str(rng.randrange(10)) for _ in range(16))
        if not _luhn_ok(digits):
            return _group4(digits)


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _dob_text(fmt: str) -> Gen:
    return lambda f, rng: f.date_of_birth(minimum_age=16, maximum_age=95).strftime(fmt)


def _free_text_with(kind: str) -> Gen:
    templates = {
        "email": [
            "Customer asked for the invoice to be sent to {v}.",
            "Bitte Rechnung an {v} schicken, danke.",
            "New contact address {v} since March.",
            "Le client souhaite être contacté à {v}.",
        ],
        "phone": [
            "Call back on {v} after 5pm.",
            "Rückruf erbeten unter {v}.",
            "Left a voicemail, number is {v}.",
            "Prefers SMS to {v} rather than email.",
        ],
    }

    def gen(f: Faker, rng: random.Random) -> object:
        if rng.random() < 0.5:
            return f.sentence(nb_words=rng.randint(6, 14))
        v = f.email() if kind == "email" else f.phone_number()
        return rng.choice(templates[kind]).format(v=v)

    return gen


def _coordinates(f: Faker, rng: random.Random) -> object:
    return f"{f.latitude():.5f}, {f.longitude():.5f}"


def _version(parts: int) -> Gen:
    return lambda f, rng: ".".join(str(rng.randint(0, 20)) for _ in range(parts))


def _upper_name(f: Faker, rng: random.Random) -> object:
    return f"{f.last_name().upper()}, {f.first_name()}"


# --------------------------------------------------------------------------------------------
# column kinds: label, name words per language (space-separated words; styles join them)
# --------------------------------------------------------------------------------------------

SPECS: tuple[Spec, ...] = (
    # ---- people
    Spec("full_name", "PERSON", {
        "en": ("name", "full name", "customer name", "contact name", "account holder", "patient name"),
        "de": ("name", "kunde name", "kunden name", "vollstaendiger name", "ansprechpartner", "inhaber"),
        "fr": ("nom complet", "nom client", "titulaire"), "es": ("nombre completo", "nombre cliente", "titular"),
        "it": ("nome completo", "nominativo"), "nl": ("naam", "klant naam", "volledige naam"),
        "pt": ("nome completo", "nome cliente", "titular"),
    }, lambda f, rng: f.name()),
    Spec("last_first", "PERSON", {
        "en": ("name", "customer name", "member name", "employee"),
        "de": ("kunde name", "name", "mitarbeiter", "patient"), "fr": ("nom", "client"),
        "es": ("nombre", "cliente"), "it": ("nominativo",), "nl": ("naam",), "pt": ("nome",),
    }, lambda f, rng: f"{f.last_name()}, {f.first_name()}"),
    Spec("upper_last_first", "PERSON", {
        "en": ("passenger name", "cardholder", "name on card"), "de": ("passagier", "karteninhaber"),
        "fr": ("nom passager",), "es": ("nombre pasajero",),
    }, _upper_name),
    Spec("first_name", "PERSON", {
        "en": ("first name", "given name", "forename", "fname"), "de": ("vorname",),
        "fr": ("prenom",), "es": ("nombre de pila", "nombre"), "it": ("nome",),
        "nl": ("voornaam",), "pt": ("primeiro nome", "nome"),
    }, lambda f, rng: f.first_name()),
    Spec("last_name", "PERSON", {
        "en": ("last name", "surname", "family name", "lname"), "de": ("nachname", "familienname"),
        "fr": ("nom de famille", "nom"), "es": ("apellido", "apellidos"), "it": ("cognome",),
        "nl": ("achternaam",), "pt": ("sobrenome", "apelido"),
    }, lambda f, rng: f.last_name()),
    Spec("prefixed_name", "PERSON", {
        "en": ("doctor", "physician name", "contact person"), "de": ("arzt", "ansprechpartner"),
        "fr": ("medecin",), "es": ("medico",),
    }, lambda f, rng: f"{f.prefix()} {f.first_name()} {f.last_name()}".strip()),
    # ---- contact
    Spec("email", "EMAIL_ADDRESS", {
        "en": ("email", "email address", "contact email", "mail", "e mail"),
        "de": ("email", "e mail adresse", "mail adresse"), "fr": ("courriel", "adresse mail"),
        "es": ("correo", "correo electronico"), "it": ("posta elettronica", "email"),
        "nl": ("e mail", "emailadres"), "pt": ("email", "correio eletronico"),
    }, lambda f, rng: f.email() if rng.random() < 0.7 else f.free_email()),
    Spec("email_upper", "EMAIL_ADDRESS", {
        "en": ("login", "username", "user id"), "de": ("benutzer",), "fr": ("identifiant",),
    }, lambda f, rng: f.email().upper() if rng.random() < 0.3 else f.company_email()),
    Spec("faker_phone", "PHONE_NUMBER", {
        "en": ("phone", "phone number", "telephone", "contact no", "mobile", "tel"),
        "de": ("telefon", "telefonnummer", "handy", "mobil nr", "rufnummer", "tel nr"),
        "fr": ("telephone", "portable", "numero tel"), "es": ("telefono", "movil", "celular"),
        "it": ("telefono", "cellulare"), "nl": ("telefoon", "telefoonnummer", "mobiel"),
        "pt": ("telefone", "celular", "telemovel"),
    }, lambda f, rng: f.phone_number(), opaque_ok=False),
    Spec("phone_intl", "PHONE_NUMBER", {
        "en": ("mobile", "cell", "phone", "contact number", "whatsapp"),
        "de": ("mobil", "handynummer", "mobilnummer"), "fr": ("portable", "mobile"),
        "es": ("movil",), "it": ("cellulare",), "nl": ("mobiel nummer",), "pt": ("celular",),
    }, _phone(phonenumbers.PhoneNumberFormat.INTERNATIONAL)),
    Spec("phone_national", "PHONE_NUMBER", {
        "en": ("phone", "home phone", "work phone", "landline"), "de": ("telefon", "festnetz"),
        "fr": ("tel fixe", "telephone"), "es": ("telefono fijo",), "it": ("telefono",),
        "nl": ("vast nummer",), "pt": ("telefone fixo",),
    }, _phone(phonenumbers.PhoneNumberFormat.NATIONAL), opaque_ok=False),
    Spec("phone_e164", "PHONE_NUMBER", {
        "en": ("msisdn", "phone e164", "sms number"), "de": ("sms nummer",), "fr": ("numero sms",),
    }, _phone(phonenumbers.PhoneNumberFormat.E164)),
    Spec("phone_int", "PHONE_NUMBER", {
        "en": ("msisdn", "mobile number", "phone"), "de": ("handynummer",), "es": ("numero movil",),
    }, _phone_int, pa.int64(), opaque_ok=False),
    Spec("de_mobile", "PHONE_NUMBER", {
        "en": ("mobile", "cell phone"), "de": ("mobil", "handy", "mobilfunk"),
    }, _de_mobile),
    # ---- payment and identity numbers
    Spec("card_plain", "CREDIT_CARD", {
        "en": ("card number", "cc number", "pan", "payment card"), "de": ("kartennummer", "kreditkarte"),
        "fr": ("numero carte", "carte bancaire"), "es": ("numero tarjeta", "tarjeta"),
        "it": ("numero carta",), "nl": ("kaartnummer",), "pt": ("numero cartao",),
    }, _amex_or_diners),
    Spec("card_grouped", "CREDIT_CARD", {
        "en": ("card", "payment method", "card no"), "de": ("karte", "zahlungsmittel"),
        "fr": ("carte",), "es": ("tarjeta",),
    }, lambda f, rng: _group4(_card(f, rng))),
    Spec("card_dashed", "CREDIT_CARD", {
        "en": ("credit card", "cc"), "de": ("kreditkarte",), "es": ("tarjeta credito",),
    }, lambda f, rng: _group4(_card(f, rng), "-")),
    Spec("iban", "IBAN_CODE", {
        "en": ("iban", "bank account", "payout account"), "de": ("iban", "kontonummer", "bankverbindung"),
        "fr": ("iban", "rib"), "es": ("iban", "cuenta bancaria"), "it": ("iban", "conto"),
        "nl": ("iban", "rekeningnummer"), "pt": ("iban", "conta"),
    }, lambda f, rng: f.iban()),
    Spec("iban_grouped", "IBAN_CODE", {
        "en": ("iban", "account"), "de": ("iban", "konto"), "fr": ("iban",), "es": ("iban",),
    }, lambda f, rng: _group4(f.iban())),
    Spec("ssn", "US_SSN", {"en": ("ssn", "social security number", "ss no")},
         lambda f, rng: _US.ssn()),
    Spec("ssn_bare", "US_SSN", {"en": ("ssn", "social security", "tax id")},
         lambda f, rng: _US.ssn().replace("-", ""), opaque_ok=False),
    Spec("ipv4", "IP_ADDRESS", {
        "en": ("ip", "ip address", "client ip", "remote addr", "source ip"), "de": ("ip adresse",),
        "fr": ("adresse ip",), "es": ("direccion ip",),
    }, lambda f, rng: f.ipv4_public() if rng.random() < 0.7 else f.ipv4_private()),
    Spec("ipv6", "IP_ADDRESS", {"en": ("ipv6", "client address", "peer")}, lambda f, rng: f.ipv6()),
    # ---- addresses and birth
    Spec("street", "STREET_ADDRESS", {
        "en": ("street address", "address line1", "street", "addr"), "de": ("strasse", "anschrift", "adresse"),
        "fr": ("adresse", "rue"), "es": ("direccion", "calle", "domicilio"), "it": ("indirizzo", "via"),
        "nl": ("adres", "straat"), "pt": ("endereco", "morada", "rua"),
    }, lambda f, rng: f.street_address(), locales=tuple(loc for loc in LOCALES if loc != "ja_JP")),
    Spec("full_address", "STREET_ADDRESS", {
        "en": ("address", "mailing address", "shipping address", "ship to"),
        "de": ("anschrift", "lieferadresse", "wohnadresse"), "fr": ("adresse postale", "adresse livraison"),
        "es": ("direccion envio",), "it": ("indirizzo",), "nl": ("bezorgadres",), "pt": ("endereco",),
    }, lambda f, rng: f.address().replace("\n", ", "), locales=tuple(loc for loc in LOCALES if loc != "ja_JP")),
    Spec("dob", "DATE_OF_BIRTH", {
        "en": ("dob", "date of birth", "birth date", "birthday"), "de": ("geburtsdatum", "geb datum", "gebdat"),
        "fr": ("date naissance", "date de naissance"), "es": ("fecha nacimiento", "fecha nac"),
        "it": ("data nascita", "data di nascita"), "nl": ("geboortedatum",), "pt": ("data nascimento",),
    }, lambda f, rng: f.date_of_birth(minimum_age=16, maximum_age=95), pa.date32(), opaque_ok=False),
    Spec("dob_text", "DATE_OF_BIRTH", {
        "en": ("dob", "birthdate", "born"), "de": ("geburtsdatum", "geboren am"), "fr": ("ne le",),
        "es": ("fecha de nacimiento",), "it": ("nato il",), "nl": ("geboren",), "pt": ("nascimento",),
    }, (_dob_text("%d.%m.%Y"), _dob_text("%d/%m/%Y"), _dob_text("%Y-%m-%d"), _dob_text("%m/%d/%Y"),
        _dob_text("%d %B %Y")), opaque_ok=False),
    # ---- free text
    Spec("text_email", "EMAIL_ADDRESS", {
        "en": ("notes", "comment", "remarks"), "de": ("bemerkung", "notiz"), "fr": ("commentaire",),
    }, _free_text_with("email"), free_text=True),
    Spec("text_phone", "PHONE_NUMBER", {
        "en": ("notes", "agent notes", "memo"), "de": ("hinweis", "kommentar"), "es": ("observaciones",),
    }, _free_text_with("phone"), free_text=True),
    # ---- look-alikes and ordinary columns (no PII)
    Spec("ean13", None, {
        "en": ("ean", "barcode", "gtin", "product code"), "de": ("ean", "artikel ean", "strichcode"),
        "fr": ("code barre", "ean"), "es": ("codigo barras", "ean"), "nl": ("ean code",),
    }, _ean13),
    Spec("ean8", None, {"en": ("ean8", "short barcode"), "de": ("ean kurz",)}, lambda f, rng: f.ean8()),
    Spec("upc", None, {"en": ("upc", "upc code"), "de": ("upc",)}, lambda f, rng: _US.upc_a()),
    Spec("isbn", None, {"en": ("isbn",), "de": ("isbn",), "fr": ("isbn",)},
         lambda f, rng: f.isbn13() if rng.random() < 0.5 else f.isbn13().replace("-", "")),
    Spec("order_no", None, {
        "en": ("order number", "order id", "order ref"), "de": ("bestellnummer", "auftrag nr"),
        "fr": ("numero commande",), "es": ("numero pedido",), "it": ("numero ordine",),
        "nl": ("bestelnummer",), "pt": ("numero pedido",),
    }, (lambda f, rng: f.numerify("##########"), lambda f, rng: f.bothify("ORD-####-######"),
        lambda f, rng: f.numerify("4########"))),
    Spec("invoice_no", None, {
        "en": ("invoice no", "invoice number"), "de": ("rechnungsnummer",), "fr": ("numero facture",),
        "es": ("numero factura",),
    }, (lambda f, rng: f.bothify("RE-2024-#####"), lambda f, rng: f.bothify("INV/2023/####"),
        lambda f, rng: f.numerify("F########"))),
    Spec("voucher", None, {
        "en": ("voucher code", "gift code", "tracking ref"), "de": ("gutscheincode",), "fr": ("code bon",),
    }, _voucher),
    Spec("sku", None, {
        "en": ("sku", "item code", "article"), "de": ("artikelnummer", "art nr"), "fr": ("reference article",),
        "es": ("referencia",), "it": ("codice articolo",),
    }, (lambda f, rng: f.bothify("??-###-??").upper(), lambda f, rng: f.numerify("SKU#####"),
        lambda f, rng: f.numerify("###-####-#"))),
    Spec("version", None, {"en": ("version", "app version", "build"), "de": ("version",)}, _version(3)),
    Spec("version4", None, {"en": ("firmware version", "build", "release")}, _version(4)),
    Spec("coords", None, {"en": ("coordinates", "location", "geo", "latlng"), "de": ("koordinaten",)},
         _coordinates),
    Spec("latitude", None, {"en": ("lat", "latitude"), "de": ("breitengrad",)},
         lambda f, rng: float(f.latitude()), pa.float64()),
    Spec("md5", None, {"en": ("checksum", "hash", "etag"), "de": ("pruefsumme",)}, lambda f, rng: f.md5()),
    Spec("sha256", None, {"en": ("sha256", "digest", "token hash")}, lambda f, rng: f.sha256()),
    Spec("uuid", None, {"en": ("request id", "session id", "uuid", "guid")},
         lambda f, rng: str(uuid.UUID(int=rng.getrandbits(128)))),
    Spec("swift", None, {"en": ("bic", "swift code"), "de": ("bic",), "fr": ("code bic",)},
         lambda f, rng: f.swift(length=rng.choice([8, 11]))),
    Spec("card_expiry", None, {"en": ("card expiry", "exp date", "valid thru"), "de": ("gueltig bis",)},
         lambda f, rng: _US.credit_card_expire()),
    Spec("card_provider", None, {"en": ("card type", "card brand", "payment network")},
         lambda f, rng: _US.credit_card_provider()),
    Spec("amount", None, {"en": ("amount", "total", "price"), "de": ("betrag", "summe"),
                          "fr": ("montant",), "es": ("importe",)},
         lambda f, rng: f"{f.pyfloat(left_digits=4, right_digits=2, positive=True):.2f}"),
    Spec("created", None, {"en": ("created at", "updated", "ts"), "de": ("erstellt am",)},
         lambda f, rng: f.date_time_this_decade().isoformat(sep=" ", timespec="seconds")),
    Spec("order_date", None, {"en": ("order date", "ship date"), "de": ("bestelldatum", "lieferdatum"),
                              "fr": ("date commande",), "es": ("fecha pedido",)},
         lambda f, rng: f.date_between(dt.date(2020, 1, 1), dt.date(2025, 6, 30)), pa.date32()),
    Spec("postcode", None, {"en": ("zip", "postcode", "postal code"), "de": ("plz", "postleitzahl"),
                            "fr": ("code postal",), "es": ("codigo postal",), "nl": ("postcode",)},
         lambda f, rng: f.postcode()),
    Spec("city", None, {"en": ("city", "town"), "de": ("ort", "stadt"), "fr": ("ville",),
                        "es": ("ciudad",), "it": ("citta",), "nl": ("plaats",), "pt": ("cidade",)},
         lambda f, rng: f.city()),
    Spec("country", None, {"en": ("country",), "de": ("land",), "fr": ("pays",), "es": ("pais",)},
         lambda f, rng: f.country()),
    Spec("company", None, {"en": ("company", "employer", "supplier"), "de": ("firma", "lieferant"),
                           "fr": ("societe", "entreprise"), "es": ("empresa",)},
         lambda f, rng: f.company()),
    Spec("job", None, {"en": ("job title", "position", "occupation"), "de": ("beruf", "position"),
                       "fr": ("profession",), "es": ("puesto",)}, lambda f, rng: f.job()),
    Spec("user_agent", None, {"en": ("user agent", "browser")}, lambda f, rng: f.user_agent()),
    Spec("url", None, {"en": ("url", "landing page", "referrer")}, lambda f, rng: f.url()),
    Spec("email_domain", None, {"en": ("email domain", "mail provider")},
         lambda f, rng: f.free_email_domain()),
    Spec("sentence", None, {"en": ("description", "comment", "notes"), "de": ("beschreibung", "bemerkung"),
                            "fr": ("description",), "es": ("descripcion",)},
         lambda f, rng: f.sentence(nb_words=rng.randint(5, 14))),
    Spec("product", None, {"en": ("product", "product name", "item name"), "de": ("produkt", "artikel name")},
         lambda f, rng: f"{f.color_name()} {f.word().title()}"),
    Spec("quantity", None, {"en": ("qty", "quantity", "units"), "de": ("menge", "anzahl")},
         lambda f, rng: rng.randint(1, 500), pa.int64()),
    Spec("int_id", None, {"en": ("customer id", "account id", "id"), "de": ("kunden nr", "kundennummer")},
         lambda f, rng: rng.randint(10_000_000, 99_999_999), pa.int64()),
)  # fmt: skip

# --------------------------------------------------------------------------------------------
# naming styles
# --------------------------------------------------------------------------------------------

ABBREV = {
    "number": "no", "customer": "cust", "address": "addr", "telephone": "tel", "phone": "ph",
    "date": "dt", "birth": "bth", "email": "eml", "name": "nm", "account": "acct", "first": "fst",
    "last": "lst", "mobile": "mob", "identifier": "id", "description": "desc", "quantity": "qty",
    "postal": "pst", "street": "str", "telefon": "tel", "kunden": "kd", "nummer": "nr",
    "numero": "num", "adresse": "adr", "geburtsdatum": "gebdat", "nacimiento": "nac",
    "telefono": "tel", "nombre": "nom", "company": "co", "version": "ver", "amount": "amt",
    "country": "ctry", "code": "cd", "coordinates": "coords", "latitude": "lat",
}  # fmt: skip
OPAQUE = ("col_{i}", "field{i}", "c{i}", "attr_{i}", "f_{i}", "value{i}", "x{i}", "data_{i}")
TABLE_WORDS = {
    "en": ["customers", "orders", "payments", "contacts", "members", "patients", "shipments",
           "employees", "tickets", "devices", "accounts", "bookings", "leads", "inventory"],
    "de": ["kunden", "bestellungen", "zahlungen", "mitarbeiter", "patienten", "lieferungen"],
    "fr": ["clients", "commandes", "paiements", "employes", "patients"],
    "es": ["clientes", "pedidos", "pagos", "empleados", "pacientes"],
    "it": ["clienti", "ordini", "pagamenti", "dipendenti"],
    "nl": ["klanten", "bestellingen", "betalingen", "medewerkers"],
    "pt": ["clientes", "pedidos", "pagamentos", "funcionarios"],
}  # fmt: skip


def _fold(s: str) -> str:
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()


def style_name(words: list[str], style: str, table: str) -> str:
    """Join ``words`` as a column name in ``style``."""
    ws = [_fold(w).lower() for w in words if w]
    if style == "camel":
        return ws[0] + "".join(w.title() for w in ws[1:])
    if style == "pascal":
        return "".join(w.title() for w in ws)
    if style == "upper":
        return "_".join(ws).upper()
    if style == "abbrev":
        return "_".join(ABBREV.get(w, w) for w in ws)
    if style == "prefixed":  # TPC-H style: the table's initial
        return f"{table[0]}_" + "_".join(ABBREV.get(w, w) for w in ws)
    if style == "compound":
        return "".join(ws)
    return "_".join(ws)


# --------------------------------------------------------------------------------------------
# the set
# --------------------------------------------------------------------------------------------


def _assign_splits(tables: list[FakerTable]) -> None:
    """Tables ordered by a hash of their name: the first half is ``tune``, the rest ``test``."""
    order = sorted(tables, key=lambda t: hashlib.sha256(t.name.encode()).hexdigest())
    for i, table in enumerate(order):
        table.split = "tune" if i < len(order) // 2 else "test"


@dataclass
class FakerTable(LabelledTable):
    """A labelled table with its locale, naming style and split."""

    locale: str = ""
    style: str = ""
    split: str = ""


def _with_nulls(values: list[object], rng: random.Random) -> list[object]:
    rate = rng.choice([0.0, 0.0, 0.02, 0.1])
    return [None if rng.random() < rate else v for v in values]


def faker_tables(rows: int = ROWS, seed: int = SEED, tables: int = TABLES) -> list[FakerTable]:
    """Every table of the set (deterministic for a seed and the pinned Faker version)."""
    rng = random.Random(seed)
    _US.seed_instance(seed)
    locales = list(LOCALES)
    # each kind of column appears about as often; PII kinds a little more often
    deck: list[Spec] = []
    out: list[FakerTable] = []
    used_names: set[str] = set()
    for t in range(tables):
        locale = locales[t % len(locales)]
        lang = LOCALES[locale] if rng.random() < 0.6 else "en"
        style = rng.choice(STYLES)
        base = rng.choice(TABLE_WORDS.get(lang, TABLE_WORDS["en"]))
        name = f"{base}_{t:02d}"
        while name in used_names:  # pragma: no cover - the index makes names unique
            name += "_x"
        used_names.add(name)
        fake = Faker(locale)
        fake.seed_instance(rng.randrange(2**31))
        table = FakerTable(name=name, locale=locale, style=style)
        n_cols = rng.randint(6, 9)
        taken: set[str] = set()
        while len(table.columns) < n_cols:
            if not deck:
                deck = [s for s in SPECS for _ in range(2 if s.label else 1)]
                rng.shuffle(deck)
            spec = deck.pop()
            if spec.key in taken or (spec.locales and locale not in spec.locales):
                continue
            taken.add(spec.key)
            column = _column(spec, fake, rng, lang, style, base, rows, len(table.columns))
            if column.name in {c.name for c in table.columns}:
                column = dataclasses.replace(column, name=f"{column.name}_{len(table.columns)}")
            table.columns.append(column)
        out.append(table)
    _assign_splits(out)
    return out


def _column(
    spec: Spec,
    fake: Faker,
    rng: random.Random,
    lang: str,
    style: str,
    table: str,
    rows: int,
    index: int,
) -> LabelledColumn:
    options = spec.names.get(lang) or spec.names["en"]
    if spec.opaque_ok and rng.random() < 1 / 6:
        col = rng.choice(OPAQUE).format(i=index + 1)
    else:
        col = style_name(rng.choice(options).split(), style, table)
    gen = rng.choice(spec.gen) if isinstance(spec.gen, tuple) else spec.gen
    values = _with_nulls([gen(fake, rng) for _ in range(rows)], rng)
    return LabelledColumn(
        name=col, type=spec.type, values=values, label=spec.label, free_text=spec.free_text,
        note=f"{spec.key} ({fake.locales[0]}, {style})",
    )  # fmt: skip


def split_tables(rows: int = ROWS, seed: int = SEED) -> dict[str, list[FakerTable]]:
    """The set by split: ``{"tune": [...], "test": [...]}``."""
    out: dict[str, list[FakerTable]] = {"tune": [], "test": []}
    for table in faker_tables(rows, seed):
        out[table.split].append(table)
    return out
