"""What a column's name, description and table name say about its content.

Names and descriptions never tag a column on their own: the values must support the entity.
They lower or raise the bar (``first_name`` with capitalised words is a person, ``product_name``
is not), pass context words to Presidio's scoring, and decide whether a date is a date of birth
(an ``order_date`` is not). Word lists cover English, German, French, Spanish, Portuguese,
Italian and Dutch column names, matched as whole words after splitting ``snake_case`` and
``camelCase``; a few stems also match inside compounds (``telefonnummer``, ``geburtsdatum``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_CAMEL = re.compile(r"(?<=[a-zà-ÿ0-9])(?=[A-Z])")
_NON_WORD = re.compile(r"[^\w]+|_+")

#: Whole words per entity, lower case (accented and plain spellings both listed).
WORDS: dict[str, frozenset[str]] = {
    "EMAIL_ADDRESS": frozenset((
        "email", "emails", "mail", "courriel", "correo", "emailaddress", "mailaddress", "e-mail",
        "eml", "emailadres", "emailadresse", "mailadresse", "posta", "elettronica", "correio",
        "eletronico", "electronico", "mel",
    )),
    "PHONE_NUMBER": frozenset((
        "phone", "phones", "telephone", "tel", "tél", "tele", "mobile", "cell", "cellphone", "fax",
        "handy", "telefon", "telefono", "teléfono", "téléphone", "portable", "movil", "móvil",
        "celular", "msisdn", "whatsapp", "mobil", "telefoon", "gsm", "call", "calls", "rufen",
        "ph", "phn", "mob", "mobiel", "cellulare", "telemovel", "telemóvel", "rufnummer",
        "festnetz", "landline", "sms", "tfn", "fon", "telefone", "telf", "tlf", "fixe", "fijo",
        "cel",
    )),
    "CREDIT_CARD": frozenset((
        "card", "cards", "creditcard", "cc", "pan", "kreditkarte", "kreditkartennummer", "tarjeta",
        "carte", "cartao", "cartão", "visa", "mastercard", "amex", "kartennummer", "kaart",
        "kaartnummer", "carta", "ccnum", "cardnumber", "zahlungsmittel",
    )),
    "IBAN_CODE": frozenset((
        "iban", "ibans", "konto", "kontonummer", "kontoverbindung", "rib", "bankverbindung",
        "account", "acct", "acc", "rekening", "rekeningnummer", "cuenta", "conta", "conto",
        "compte", "bank", "payout",
    )),
    "US_SSN": frozenset((
        "ssn", "ssns", "social", "security", "socialsecurity", "tin", "taxpayer", "tax",
    )),
    "IP_ADDRESS": frozenset((
        "ip", "ips", "ipv4", "ipv6", "ipaddress", "remote_addr", "peer", "client", "remote",
    )),
    "STREET_ADDRESS": frozenset((
        "address", "addresses", "addr", "street", "anschrift", "adresse", "adressen", "strasse",
        "straße", "direccion", "dirección", "domicilio", "endereco", "endereço", "morada",
        "indirizzo", "adres", "jusho", "residence", "domicile", "wohnort", "postal", "mailing",
        "adr", "addr1", "addr2", "line1", "line2", "calle", "rue", "rua", "via", "straat",
        "street1", "lieferadresse", "wohnadresse", "bezorgadres", "postadres", "ship", "shipping",
        "billing",
    )),
    "DATE_OF_BIRTH": frozenset((
        "dob", "birth", "born", "birthday", "birthdate", "bday", "geburtsdatum", "geburtstag",
        "geboren", "geb", "gebdat", "gebdatum", "naissance", "né", "née", "nacimiento", "nacido",
        "nacida", "nascimento", "nascido", "nascita", "nato", "nata", "geboortedatum", "tanjobi",
        "seinengappi", "bdate", "bdt", "bth", "brth", "dtob", "nac", "fnac", "geboren", "ne",
    )),
    "NRP": frozenset((
        "nationality", "nationalities", "citizenship", "ethnicity", "ethnic", "race", "religion",
        "religious", "faith", "denomination", "confession", "konfession", "religionszugehörigkeit",
        "nationalität", "staatsangehörigkeit", "nacionalidad", "nationalité", "nazionalità",
        "nacionalidade", "political", "politics",
    )),
}  # fmt: skip

#: Words that argue against an entity the values could suggest (``1.2.3.4`` in a ``version``
#: column is a version, not an IP address; ``phone_ext`` holds extensions).
AGAINST: dict[str, frozenset[str]] = {
    "IP_ADDRESS": frozenset((
        "version", "versions", "ver", "build", "release", "semver", "firmware",
    )),
    "PHONE_NUMBER": frozenset((
        "ext", "extension", "model", "type",
    )),
    "CREDIT_CARD": frozenset((
        "type", "brand", "network",
    )),
}  # fmt: skip

#: Stems matched at the start of a word, for compounds (German mostly).
STEMS: dict[str, tuple[str, ...]] = {
    "EMAIL_ADDRESS": ("email",),
    "PHONE_NUMBER": ("telefon", "handy", "phone", "mobil"),
    "IBAN_CODE": ("iban", "konto"),
    "STREET_ADDRESS": ("address", "adress", "anschrift", "wohnadress"),
    "DATE_OF_BIRTH": ("birth", "geburt", "naissance", "nacimiento", "nascimento", "geboorte"),
    "NRP": ("nationalit", "religi", "staatsangeh", "ethni"),
}

# Person names: a name word alone is weak (``name`` of what?); with a role, or in a compound
# that says "first/last/full name", it is strong. Things that have names are negative cues.
_PERSON_STRONG = frozenset((
    "firstname", "lastname", "surname", "surnames", "forename", "forenames", "givenname",
    "familyname", "fullname", "middlename", "maidenname", "vorname", "vornamen", "nachname",
    "familienname", "prenom", "prénom", "apellido", "apellidos", "sobrenome", "cognome",
    "voornaam", "achternaam", "author", "authors", "fname", "lname", "apelido", "apelidos",
    "nachnamen", "prenoms", "prénoms", "nominativo", "cardholder", "karteninhaber", "kontoinhaber",
))  # fmt: skip
_NAME_WORDS = frozenset((
    "name", "names", "nom", "nombre", "nome", "naam", "nm", "nme", "namen", "noms",
))  # fmt: skip
_NAME_QUALIFIERS = frozenset((
    "first", "last", "given", "family", "full", "middle", "maiden", "sur",
))  # fmt: skip
_PERSON_ROLES = frozenset((
    "customer", "client", "patient", "employee", "staff", "guest", "contact", "owner", "holder",
    "recipient", "sender", "passenger", "member", "applicant", "student", "user", "person",
    "people", "driver", "beneficiary", "cardholder", "buyer", "tenant", "landlord", "traveler",
    "traveller", "visitor", "attendee", "participant", "candidate", "agent", "signatory",
    "insured", "policyholder", "donor", "subscriber", "caller", "doctor", "physician", "nurse",
    "teacher", "child", "parent", "spouse", "emergency", "kunde", "kunden", "mitarbeiter",
    "gast", "cliente", "paciente", "empleado", "hospede", "titular", "inhaber", "karteninhaber",
    "kontoinhaber", "passagier", "pasajero", "passager", "passeggero", "arzt", "medico", "médico",
    "medecin", "médecin", "ansprechpartner", "klant", "client", "klanten", "clienti", "patiente",
    "paziente", "dipendente", "funcionario", "funcionário", "medewerker", "employe", "employé",
    "nominativo", "responsable", "vertreter", "contacto", "contatto", "contato", "auteur", "autor",
))  # fmt: skip
_PERSON_NEGATIVE = frozenset((
    "product", "products", "item", "items", "article", "sku", "company", "companies", "brand",
    "vendor", "merchant", "organisation", "organization", "org", "business", "store", "shop",
    "file", "filename", "host", "hostname", "domain", "city", "country", "street", "town",
    "region", "state", "province", "team", "department", "dept", "category", "project", "table",
    "column", "event", "model", "device", "app", "application", "service", "server", "bank",
    "hotel", "venue", "place", "location", "course", "title", "job", "creditor", "supplier",
    "firm", "employer", "school", "university", "institution", "ship", "vessel", "pet",
    "animal", "species", "dataset", "database", "schema", "field", "variable", "key", "tag",
    "label", "queue", "topic", "role", "group", "plan", "tier", "campaign", "program",
    "package", "library", "tool", "feature", "metric", "currency", "language", "color",
    "colour", "menu", "dish", "recipe", "song", "movie", "film", "book", "game", "road",
    "station", "airport", "building", "room", "ward", "clinic", "hospital", "username",
    "nickname", "display", "screen", "artikel", "produkt", "produit", "producto", "prodotto",
    "produto", "firma", "empresa", "societe", "société", "entreprise", "azienda", "bedrijf",
    "lieferant", "proveedor", "fournisseur", "marke", "marca", "marque", "stadt", "ort", "ville",
    "ciudad", "citta", "città", "cidade", "plaats", "land", "pays", "pais", "país", "strasse",
    "straße", "rue", "calle", "via", "rua", "straat", "abteilung", "kategorie", "categoria",
    "categorie", "login", "benutzer", "usuario", "utilisateur",
))  # fmt: skip


#: Organisations a description may say a name column names ("Airline name.", "Name of the
#: manufacturer"): with none of the person roles beside them, the names are not people's.
_ORGANISATIONS = frozenset((
    "airline", "airlines", "carrier", "carriers", "manufacturer", "manufacturers", "maker",
    "company", "companies", "brand", "vendor", "supplier", "bank", "insurer", "insurance",
    "agency", "organisation", "organization", "firm", "employer", "airport", "hospital",
    "university", "school", "store", "shop", "department", "ward", "clinic", "hotel", "team",
    "publisher", "retailer", "wholesaler", "distributor", "operator", "club", "association",
    "fluggesellschaft", "hersteller", "unternehmen", "firma", "empresa", "entreprise",
))  # fmt: skip


def words(*texts: str | None) -> tuple[str, ...]:
    """Lower-case words of names and descriptions (``firstName``/``first_name`` → first, name)."""
    out: list[str] = []
    for text in texts:
        if not text:
            continue
        for w in _NON_WORD.split(_CAMEL.sub(" ", text)):
            if w:
                out.append(w.lower())
    return tuple(out)


def _singular(w: str) -> str:
    return w[:-1] if len(w) > 3 and w.endswith("s") else w


@dataclass(frozen=True)
class Hints:
    """Entities a column's name and description point at (and against)."""

    name_words: tuple[str, ...]
    doc_words: tuple[str, ...]
    table_words: tuple[str, ...]
    entities: frozenset[str]
    against: frozenset[str]
    person: str | None  # "strong", "weak" or None
    person_negative: bool

    def supports(self, entity: str) -> bool:
        """Whether the name or description points at ``entity``."""
        return entity in self.entities

    def rules_out(self, entity: str) -> bool:
        """Whether the column's name says the values are something else (a version, a type)."""
        return entity in self.against

    def context(self) -> list[str]:
        """Context words for Presidio: the column's words plus the canonical word of each hint."""
        canonical = {
            "EMAIL_ADDRESS": "email",
            "PHONE_NUMBER": "phone",
            "CREDIT_CARD": "card",
            "IBAN_CODE": "iban",
            "US_SSN": "ssn",
            "IP_ADDRESS": "ip",
            "STREET_ADDRESS": "address",
            "DATE_OF_BIRTH": "birth",
        }
        extra = [canonical[e] for e in sorted(self.entities) if e in canonical]
        return [*self.name_words, *self.doc_words, *extra]


def _entities_of(ws: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for w in ws:
        hit = False
        for entity, vocab in WORDS.items():
            if w in vocab:
                found.add(entity)
                hit = True
        for entity, stems in STEMS.items():
            if any(w.startswith(s) for s in stems):
                found.add(entity)
                hit = True
        if not hit and len(w) >= COMPOUND_MIN:
            found |= _compound_entities(w)
    return found


#: Words this long that match no vocabulary word are read as compounds (``streetaddress``,
#: ``klantnaam``, ``emailadres``): a vocabulary word of four letters or more at either end,
#: with at least three letters left over.
COMPOUND_MIN = 8


def _compound_entities(w: str) -> set[str]:
    return {entity for entity, vocab in WORDS.items() if _compound_parts(w, vocab)}


def _compound_parts(w: str, vocab: Iterable[str]) -> bool:
    return len(w) >= COMPOUND_MIN and any(
        len(v) >= 4 and len(w) - len(v) >= 3 and (w.endswith(v) or w.startswith(v)) for v in vocab
    )


def _person_strength(ws: tuple[str, ...], table: tuple[str, ...]) -> str | None:
    wset = set(ws)
    roles = {_singular(w) for w in ws} | set(ws)
    if wset & _PERSON_STRONG or any(_compound_parts(w, _PERSON_STRONG) for w in ws):
        return "strong"
    # "kundenname", "klantnaam", "nomecliente": a role and a name word in one compound
    compound_name = any(
        _compound_parts(w, _NAME_WORDS) and _compound_parts(w, _PERSON_ROLES) for w in ws
    )
    if wset & _NAME_WORDS or compound_name:
        if wset & _NAME_QUALIFIERS or compound_name:
            return "strong"
        if {_singular(w) for w in (*ws, *table)} & _PERSON_ROLES:
            return "strong"
        return "weak"
    if roles & _PERSON_ROLES or any(_compound_parts(w, _PERSON_ROLES) for w in ws):
        return "weak"
    return None


def hints_for(name: str, doc: str | None = None, table_name: str | None = None) -> Hints:
    """Read a column's name, description and table name."""
    name_words = words(name)
    doc_words = words(doc)
    table_words = words(table_name.rsplit(".", 1)[-1] if table_name else None)
    entities = _entities_of(name_words) | _entities_of(doc_words)
    against = {e for e, vocab in AGAINST.items() if vocab & set(name_words)}
    person = _person_strength(name_words, table_words)
    if person is None and doc_words:
        person = "weak" if _person_strength(doc_words, ()) else None
    doc_roles = {_singular(w) for w in doc_words} | set(doc_words)
    negative = bool(
        {_singular(w) for w in name_words} & _PERSON_NEGATIVE
        or any(_compound_parts(w, _PERSON_NEGATIVE) for w in name_words)
        or (set(doc_words) & _ORGANISATIONS and not doc_roles & _PERSON_ROLES
            and not set(doc_words) & _PERSON_STRONG)
    )  # fmt: skip
    if person:
        entities.add("PERSON")
    return Hints(
        name_words=name_words,
        doc_words=doc_words,
        table_words=table_words,
        entities=frozenset(entities),
        against=frozenset(against),
        person=person,
        person_negative=negative,
    )
