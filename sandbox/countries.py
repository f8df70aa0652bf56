"""The countries the sandbox sells numbers in: their number ranges and how businesses register.

Each country's ranges say which prefixes are local, mobile, national or toll-free numbers (and the
locality a local range serves); `strictness` says how much Telnyx's regulators ask for there.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Range:
    """Numbers of one type in one place: `prefix` (country code included) then `digits` more."""

    prefix: str
    digits: int
    locality: str

    def matches(self, digits: str) -> bool:
        return digits.startswith(self.prefix) and len(digits) == len(self.prefix) + self.digits


@dataclass(frozen=True)
class Registration:
    """How businesses are registered in a country: the local name and format of the number."""

    name: str
    example: str
    regex: str
    min_length: int
    max_length: int


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    weight: int
    # 0: no regulatory requirements (as for US/CA numbers), 1: basic, 2: everything.
    strictness: int
    ranges: dict[str, tuple[Range, ...]]
    registration: Registration | None = None
    address: str = ""


def _ranges(name: str, **types: list[tuple[str, int, str | None]]) -> dict:
    return {
        kind: tuple(Range(prefix, digits, locality or name) for prefix, digits, locality in entries)
        for kind, entries in types.items()
    }


# fmt: off
COUNTRIES: dict[str, Country] = {c.code: c for c in [
    Country("US", "United States", 18, 0, _ranges(
        "United States",
        local=[("1212", 7, "New York, NY"), ("1415", 7, "San Francisco, CA"),
               ("1312", 7, "Chicago, IL"), ("1512", 7, "Austin, TX"), ("1206", 7, "Seattle, WA"),
               ("1617", 7, "Boston, MA")],
        toll_free=[("1800", 7, None), ("1833", 7, None), ("1844", 7, None), ("1855", 7, None),
                   ("1877", 7, None), ("1888", 7, None)])),
    Country("CA", "Canada", 5, 0, _ranges(
        "Canada",
        local=[("1416", 7, "Toronto, ON"), ("1514", 7, "Montréal, QC"),
               ("1604", 7, "Vancouver, BC"), ("1613", 7, "Ottawa, ON")],
        toll_free=[("1866", 7, None)])),
    Country("GB", "United Kingdom", 10, 1, _ranges(
        "United Kingdom",
        local=[("4420", 8, "London"), ("44161", 7, "Manchester"), ("44131", 7, "Edinburgh"),
               ("44121", 7, "Birmingham")],
        mobile=[("447", 9, None)], national=[("443", 9, None)], toll_free=[("44800", 7, None)]),
        Registration("Companies House number", "01234567", r"^(?:\d{8}|(?:SC|NI|OC)\d{6})$", 8, 8),
        "10 Downing Street, London SW1A 2AA"),
    Country("DE", "Germany", 9, 2, _ranges(
        "Germany",
        local=[("4930", 8, "Berlin"), ("4989", 8, "München"), ("4940", 8, "Hamburg"),
               ("4969", 8, "Frankfurt am Main"), ("49221", 7, "Köln")],
        mobile=[("49151", 8, None), ("49170", 8, None), ("49176", 8, None)],
        national=[("4932", 9, None)], toll_free=[("49800", 7, None)]),
        Registration("Handelsregisternummer", "HRB 123456", r"^HR[AB] \d{1,6}$", 5, 10),
        "Friedrichstraße 68, 10117 Berlin"),
    Country("FR", "France", 7, 2, _ranges(
        "France",
        local=[("331", 8, "Paris"), ("3347", 7, "Lyon"), ("3349", 7, "Marseille"),
               ("33556", 6, "Bordeaux")],
        mobile=[("336", 8, None), ("337", 8, None)], national=[("339", 8, None)],
        toll_free=[("33805", 6, None)]),
        Registration("numéro SIREN", "732829320", r"^\d{9}$", 9, 9),
        "12 rue de la Paix, 75002 Paris"),
    Country("NL", "Netherlands", 6, 2, _ranges(
        "Netherlands",
        local=[("3120", 7, "Amsterdam"), ("3110", 7, "Rotterdam"), ("3170", 7, "Den Haag"),
               ("3130", 7, "Utrecht")],
        mobile=[("316", 8, None)], national=[("3185", 7, None)], toll_free=[("31800", 7, None)]),
        Registration("KvK-nummer", "34123456", r"^\d{8}$", 8, 8),
        "Herengracht 182, 1016 BR Amsterdam"),
    Country("CH", "Switzerland", 5, 2, _ranges(
        "Switzerland",
        local=[("4121", 7, "Lausanne"), ("4122", 7, "Genève"), ("4144", 7, "Zürich"),
               ("4131", 7, "Bern"), ("4161", 7, "Basel")],
        mobile=[("4176", 7, None), ("4178", 7, None), ("4179", 7, None)],
        national=[("4158", 7, None)], toll_free=[("41800", 6, None)]),
        Registration("UID", "CHE-123.456.789", r"^CHE-\d{3}\.\d{3}\.\d{3}$", 15, 15),
        "Rue de Bourg 12, 1003 Lausanne"),
    Country("AU", "Australia", 5, 1, _ranges(
        "Australia",
        local=[("612", 8, "Sydney"), ("613", 8, "Melbourne"), ("617", 8, "Brisbane"),
               ("618", 8, "Perth")],
        mobile=[("614", 8, None)], national=[("611300", 6, None)],
        toll_free=[("611800", 6, None)]),
        Registration("Australian Business Number (ABN)", "51 824 753 556",
                     r"^\d{2} ?\d{3} ?\d{3} ?\d{3}$", 11, 14),
        "1 Martin Place, Sydney NSW 2000"),
    Country("ES", "Spain", 4, 2, _ranges(
        "Spain",
        local=[("3491", 7, "Madrid"), ("3493", 7, "Barcelona"), ("3496", 7, "Valencia")],
        mobile=[("346", 8, None)], national=[("34902", 6, None)], toll_free=[("34900", 6, None)]),
        Registration("NIF", "B12345678", r"^[A-HJNPQRSUVW]\d{7}[0-9A-J]$", 9, 9),
        "Calle de Alcalá 45, 28014 Madrid"),
    Country("IT", "Italy", 4, 2, _ranges(
        "Italy",
        local=[("3902", 8, "Milano"), ("3906", 8, "Roma"), ("39011", 7, "Torino")],
        mobile=[("393", 9, None)], toll_free=[("39800", 6, None)]),
        Registration("Partita IVA", "12345678901", r"^\d{11}$", 11, 11),
        "Via Montenapoleone 8, 20121 Milano"),
    Country("SE", "Sweden", 3, 2, _ranges(
        "Sweden",
        local=[("468", 8, "Stockholm"), ("4631", 7, "Göteborg"), ("4640", 7, "Malmö")],
        mobile=[("467", 8, None)], toll_free=[("4620", 7, None)]),
        Registration("organisationsnummer", "556036-0793", r"^\d{6}-\d{4}$", 11, 11),
        "Drottninggatan 33, 111 51 Stockholm"),
    Country("BE", "Belgium", 3, 2, _ranges(
        "Belgium",
        local=[("322", 7, "Bruxelles"), ("323", 7, "Antwerpen"), ("329", 7, "Gent")],
        mobile=[("3247", 7, None)], toll_free=[("32800", 5, None)]),
        Registration("enterprise number (KBO/BCE)", "0403.170.701", r"^\d{4}\.\d{3}\.\d{3}$",
                     12, 12),
        "Rue de la Loi 16, 1000 Bruxelles"),
    Country("AT", "Austria", 3, 2, _ranges(
        "Austria",
        local=[("431", 7, "Wien"), ("43316", 6, "Graz"), ("43662", 6, "Salzburg")],
        mobile=[("43664", 7, None)], toll_free=[("43800", 6, None)]),
        Registration("Firmenbuchnummer", "FN 123456a", r"^FN \d{1,6}[a-z]$", 5, 10),
        "Kärntner Straße 21, 1010 Wien"),
    Country("IE", "Ireland", 3, 2, _ranges(
        "Ireland",
        local=[("3531", 7, "Dublin"), ("35321", 6, "Cork"), ("35391", 6, "Galway")],
        mobile=[("35387", 7, None)], toll_free=[("3531800", 6, None)]),
        Registration("CRO number", "123456", r"^\d{4,6}$", 4, 6),
        "1 Grand Canal Square, Dublin 2, D02 P820"),
    Country("JP", "Japan", 3, 2, _ranges(
        "Japan",
        local=[("813", 8, "Tokyo"), ("816", 8, "Osaka"), ("8152", 7, "Nagoya")],
        mobile=[("8190", 8, None), ("8180", 8, None)], national=[("8150", 8, None)],
        toll_free=[("81120", 6, None)]),
        Registration("corporate number (hōjin bangō)", "1234567890123", r"^\d{13}$", 13, 13),
        "1-1-2 Otemachi, Chiyoda-ku, Tokyo 100-0004"),
    Country("BR", "Brazil", 3, 2, _ranges(
        "Brazil",
        local=[("5511", 8, "São Paulo"), ("5521", 8, "Rio de Janeiro"),
               ("5531", 8, "Belo Horizonte")],
        mobile=[("55119", 8, "São Paulo")], toll_free=[("55800", 7, None)]),
        Registration("CNPJ", "12.345.678/0001-95", r"^\d{2}\.\d{3}\.\d{3}/\d{4}-\d{2}$", 18, 18),
        "Avenida Paulista 1578, São Paulo, SP 01310-200"),
    Country("PL", "Poland", 2, 2, _ranges(
        "Poland",
        local=[("4822", 7, "Warszawa"), ("4812", 7, "Kraków")],
        mobile=[("485", 8, None)], toll_free=[("48800", 6, None)]),
        Registration("KRS number", "0000123456", r"^\d{10}$", 10, 10),
        "ul. Marszałkowska 126, 00-008 Warszawa"),
    Country("DK", "Denmark", 2, 2, _ranges(
        "Denmark",
        local=[("453", 7, "København")], mobile=[("452", 7, None)],
        toll_free=[("4580", 6, None)]),
        Registration("CVR number", "12345678", r"^\d{8}$", 8, 8),
        "Strøget 18, 1160 København K"),
    Country("NO", "Norway", 2, 2, _ranges(
        "Norway",
        local=[("4722", 6, "Oslo")], mobile=[("474", 7, None)], toll_free=[("47800", 5, None)]),
        Registration("organisasjonsnummer", "923 609 016", r"^\d{3} ?\d{3} ?\d{3}$", 9, 11),
        "Karl Johans gate 22, 0159 Oslo"),
    Country("FI", "Finland", 2, 2, _ranges(
        "Finland",
        local=[("3589", 7, "Helsinki")], mobile=[("35840", 7, None)],
        toll_free=[("358800", 6, None)]),
        Registration("Business ID (Y-tunnus)", "1234567-8", r"^\d{7}-\d$", 9, 9),
        "Mannerheimintie 14, 00100 Helsinki"),
    Country("PT", "Portugal", 2, 2, _ranges(
        "Portugal",
        local=[("35121", 7, "Lisboa"), ("35122", 7, "Porto")],
        mobile=[("35191", 7, None)], toll_free=[("351800", 6, None)]),
        Registration("NIPC", "501234567", r"^\d{9}$", 9, 9),
        "Avenida da Liberdade 110, 1269-046 Lisboa"),
    Country("MX", "Mexico", 2, 1, _ranges(
        "Mexico",
        local=[("5255", 8, "Ciudad de México"), ("5233", 8, "Guadalajara"),
               ("5281", 8, "Monterrey")],
        toll_free=[("52800", 7, None)]),
        Registration("RFC", "ABC680524P76", r"^[A-Z&]{3,4}\d{6}[A-Z0-9]{3}$", 12, 13),
        "Paseo de la Reforma 250, 06600 Ciudad de México"),
    Country("NZ", "New Zealand", 1, 1, _ranges(
        "New Zealand",
        local=[("649", 7, "Auckland"), ("644", 7, "Wellington")],
        mobile=[("6421", 7, None)], toll_free=[("64800", 6, None)]),
        Registration("NZBN", "9429041234567", r"^\d{13}$", 13, 13),
        "151 Queen Street, Auckland 1010"),
    Country("SG", "Singapore", 1, 1, _ranges(
        "Singapore",
        local=[("656", 7, None)], mobile=[("658", 7, None)], toll_free=[("651800", 7, None)]),
        Registration("UEN", "201912345K", r"^\d{9}[A-Z]$", 10, 10),
        "10 Marina Boulevard, Singapore 018983"),
]}
# fmt: on
