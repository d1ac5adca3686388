"""The planner's English: words that carry structure rather than name data.

Aggregates, grouping, ranking, comparisons, negation, time units, and generic business synonyms
that extend the embedding lexicon (:mod:`neurolake_lab.llm.lexicon`) for matching words to
columns. Nothing here names a table or column of any data set: domain terms ("revenue", "active
customers") come from the workspace's semantic definitions and from the schema's own docs.
"""

from __future__ import annotations

#: Aggregate words -> SQL aggregate (applied to the measure that follows).
AGGREGATES: dict[str, str] = {
    "average": "avg", "avg": "avg", "mean": "avg", "typical": "avg",
    "median": "median",
    "total": "sum", "sum": "sum", "combined": "sum", "overall": "sum",
    "minimum": "min", "min": "min", "lowest": "min", "smallest": "min", "least": "min",
    "maximum": "max", "max": "max", "highest": "max", "largest": "max", "biggest": "max",
    "greatest": "max", "longest": "max", "shortest": "min",
}  # fmt: skip
#: Superlatives that rank rather than aggregate when a set of rows is listed.
RANK_DESC = frozenset({"most", "highest", "largest", "biggest", "greatest", "top", "best", "max"})
RANK_ASC = frozenset({"least", "lowest", "smallest", "fewest", "bottom", "worst", "min"})
#: Share of rows: "what share / percentage / proportion of X ...".
SHARE_WORDS = frozenset(
    {"share", "percentage", "percent", "proportion", "fraction", "rate", "ratio"}
)
PERCENT_WORDS = frozenset({"percentage", "percent"})
#: Grouping markers ("per country", "by month", "for each product").
GROUP_WORDS = frozenset({"per", "by", "each", "every", "across"})
#: Time grains: word -> DuckDB date_trunc part.
GRAINS: dict[str, str] = {
    "daily": "day", "day": "day", "days": "day", "weekly": "week", "week": "week",
    "weeks": "week", "monthly": "month", "month": "month", "months": "month",
    "quarterly": "quarter", "quarter": "quarter", "quarters": "quarter", "yearly": "year",
    "annual": "year", "annually": "year", "year": "year", "years": "year",
}  # fmt: skip
#: Grain adjectives that group on their own ("monthly signups").
GRAIN_ADJECTIVES = frozenset({"daily", "weekly", "monthly", "quarterly", "yearly", "annual"})
#: Negation before a related table or a value.
NEGATIONS = frozenset(
    {"never", "without", "no", "not", "none", "excluding", "except", "exclude", "neither", "nor"}
)
#: Irregular English forms -> one shared form, so that "deaths" finds "died" and "flown" "fly"
#: (light stems of both sides).
IRREGULAR: dict[str, str] = {
    "death": "die", "died": "die", "dead": "die", "born": "birth",
    "flown": "fly", "flew": "fly", "flight": "fly", "built": "build", "left": "leave",
    "sold": "sell", "bought": "buy", "paid": "pay", "spent": "spend", "lost": "lose",
    "won": "win", "made": "make", "sent": "send", "held": "hold", "taught": "teach",
    "ran": "run", "gave": "give", "given": "give", "took": "take", "taken": "take",
}  # fmt: skip
#: Words that say "count the rows".
COUNT_WORDS = frozenset({"count", "number", "many"})
DISTINCT_WORDS = frozenset({"distinct", "different", "unique"})

#: Comparison phrases (stems of their words) -> operator.
COMPARISONS: dict[tuple[str, ...], str] = {
    ("less", "than"): "<", ("lower", "than"): "<", ("fewer", "than"): "<", ("below",): "<",
    ("under",): "<", ("smaller", "than"): "<", ("cheaper", "than"): "<", ("cheaper",): "<",
    ("at", "most"): "<=", ("up", "to"): "<=", ("no", "more", "than"): "<=",
    ("not", "more", "than"): "<=", ("maximum", "of"): "<=",
    ("more", "than"): ">", ("greater", "than"): ">", ("higher", "than"): ">", ("above",): ">",
    ("over",): ">", ("exceed",): ">", ("exceeding",): ">", ("bigger", "than"): ">",
    ("larger", "than"): ">", ("more", "expensive", "than"): ">", ("pricier", "than"): ">",
    ("heavier", "than"): ">", ("lighter", "than"): "<", ("longer", "than"): ">",
    ("shorter", "than"): "<", ("older", "than"): ">", ("younger", "than"): "<",
    ("costlier", "than"): ">", ("less", "expensive", "than"): "<", ("bigger",): ">",
    ("at", "least"): ">=", ("no", "less", "than"): ">=", ("not", "less", "than"): ">=",
    ("minimum", "of"): ">=", ("exactly",): "=", ("equal", "to"): "=",
}  # fmt: skip
#: Adjectives of a comparison that say which kind of column it is about ("cheaper than 50").
COMPARISON_HINTS: dict[str, str] = {
    "cheaper": "price", "pricier": "price", "expensive": "price", "costlier": "price",
    "heavier": "weight", "lighter": "weight", "older": "age", "younger": "age",
}  # fmt: skip
#: Units written after a number ("500 kg", "20 EUR"): part of the comparison, not data.
MEASURE_UNITS = frozenset(
    {"kg", "kgs", "kilo", "kilos", "kilograms", "g", "grams", "t", "tons", "tonnes", "lb", "lbs",
     "km", "kms", "miles", "m", "meters", "metres", "cm", "eur", "euro", "euros", "usd",
     "dollars", "gbp", "pounds", "percent", "pct", "l", "liters", "litres"}
)  # fmt: skip

#: Units after "per" that ask for a rate ("cost per kilogram"), not for groups.
RATE_UNITS = MEASURE_UNITS - {"percent", "pct"} | {
    "kilogram", "kilometer", "kilometers", "kilometre", "kilometres", "mile", "pound", "liter",
    "litre", "gram", "ton", "tonne", "meter", "metre", "dollar", "passenger", "seat", "bed",
}  # fmt: skip

#: Adjectives that rank by a kind of column: word -> (concept, descending).
RANK_ADJECTIVES: dict[str, tuple[str, bool]] = {
    "expensive": ("price", True), "priciest": ("price", True), "cheapest": ("price", False),
    "cheap": ("price", False), "newest": ("date", True), "latest": ("date", True),
    "recent": ("date", True), "oldest": ("date", False), "earliest": ("date", False),
}  # fmt: skip

#: Generic words -> a concept word that column names use, beyond the synonym groups of the
#: embedding lexicon (``llm.lexicon.SYNONYMS``: customer/client/buyer, employee/staff, ...).
CONCEPTS: dict[str, str] = {
    "cost": "price", "costs": "price", "priced": "price", "pricing": "price",
    "expensive": "price", "cheap": "price", "cheaper": "price", "cheapest": "price",
    "value": "amount", "worth": "amount",
    "bought": "order", "buy": "order", "purchased": "order",
    "joined": "signup", "registered": "signup", "mortality": "died", "fatality": "died",
    "fatalities": "died",
    "hired": "hire", "hires": "hire", "hiring": "hire",  # the stemmer leaves "hir"
}  # fmt: skip

#: Antonyms of state words from column docs ("NULL while the ticket is open" -> closed).
ANTONYMS: dict[str, tuple[str, ...]] = {
    "active": ("inactive", "former", "lost"), "open": ("closed", "resolved", "done"),
    "employed": ("former", "departed", "gone"), "pending": ("completed", "finished", "done"),
    "current": ("former", "past"), "ongoing": ("completed", "finished", "done"),
    "unpaid": ("paid",), "unresolved": ("resolved",), "available": ("unavailable",),
    "valid": ("expired", "invalid"), "live": ("retired",), "early": ("late",),
    "late": ("early",),
}  # fmt: skip

#: States of a row whose end date is still NULL, and of one whose end date is set.
UNDER_WAY = ("open", "ongoing", "unfinished", "current")
OVER = ("closed", "finished", "completed", "ended")

#: Words that may stay unmatched without the question being misunderstood.
# fmt: off
FILLER = frozenset({
    "a", "about", "across", "again", "al", "all", "along", "also", "altogether", "am", "among",
    "amongst", "but", "coming", "sell", "sells", "because", "gets", "due",
    "amounts", "an", "and", "any", "appear", "are", "as", "at", "based", "be", "been", "being",
    "belong", "belongs", "both", "break", "breakdown", "bring", "brings", "broken", "brought",
    "by", "came", "can", "carried", "carries", "carry", "cent", "come", "comes", "contain",
    "containing", "contains", "could", "count", "current", "currently", "data", "detail",
    "details", "did", "display", "do", "does", "doing", "done", "down", "drive", "drives",
    "each", "either", "entries", "entry", "et", "ever", "every", "exist", "existing", "exists",
    "far", "find", "for", "from", "generate", "generated", "generates", "get", "give", "given",
    "gives", "go", "got", "group", "grouped", "had", "happen", "happened", "has", "have",
    "having", "held", "hold", "holds", "how", "i", "in", "include", "included", "includes",
    "including", "info", "information", "instead", "into", "is", "it", "its", "just", "kind",
    "kinds", "know", "least", "let", "lets", "like", "list", "live", "lives", "living",
    "located", "made", "make", "making", "many", "may", "me", "might", "much", "my", "need",
    "new", "now", "ended", "ending", "resulted", "resulting", "number", "occur", "occurred",
    "of", "on", "one", "ones", "only", "out",
    "or", "our", "over", "overall", "per", "performing", "place", "placed", "please", "produce",
    "produced", "produces", "rather", "record", "records", "registered", "reside", "resides",
    "respectively", "return", "returns", "right", "row", "rows", "same", "see", "selling",
    "send", "sends", "sent", "shall", "should", "show", "since", "so", "sold", "some", "sort",
    "sorts", "split", "status", "still", "such", "take", "taken", "takes", "tell", "than",
    "that", "the", "their", "them", "then", "there", "there's", "these", "they", "this",
    "those", "through", "to", "today", "together", "too", "total", "type", "types", "under",
    "us", "use", "used", "using", "value", "values", "via", "want", "was", "we", "well", "went",
    "were", "what", "when", "where", "whether", "which", "who", "whom", "whose", "why", "will",
    "with", "work", "working", "works", "would", "yet", "you", "your",
})
# fmt: on
#: Words that start a refinement of the previous question ("only for Germany", "now by month").
REFINEMENT_STARTS = frozenset(
    {
        "only",
        "just",
        "now",
        "and",
        "but",
        "also",
        "instead",
        "same",
        "then",
        "except",
        "excluding",
        "exclude",
        "limit",
        "sort",
        "sorted",
        "order",
        "break",
        "split",
        "restrict",
        "filter",
        "drop",
        "remove",
        "without",
        "plus",
        "add",
        "again",
    }
)  # fmt: skip

#: Stems of quantities where more is worse, so that "worst" ranks them highest first and "best"
#: lowest first ("the worst average delay", "best return rate").
WORSE_WHEN_HIGHER = frozenset(
    {"delay", "late", "wait", "cost", "churn", "return", "cancel", "complaint", "error",
     "defect", "death", "die", "loss", "readmission", "debt", "risk", "failure", "incident"}
)  # fmt: skip
