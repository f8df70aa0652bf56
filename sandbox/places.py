"""What addresses look like in each country the sandbox sells regulated numbers in: localities
(those of the number ranges, and a few more) with real postal codes, street names, how a street
address is written, company forms and the names people have there; and the companies that
customer references and end users are named after."""

import re
from dataclasses import dataclass

COMPANIES = [
    "ACME", "Northwind", "Globex", "Initech", "Contoso", "Fabrikam", "Umbrella", "Hooli",
    "Vandelay", "Wonka", "Tyrell", "Soylent", "Stark", "Wayne", "Cyberdyne", "Oceanic",
]  # fmt: skip


@dataclass(frozen=True)
class Locality:
    name: str
    postal_codes: tuple[str, ...]
    streets: tuple[str, ...] = ()  # the country's streets when empty
    administrative_area: str = ""


@dataclass(frozen=True)
class Place:
    """A country's address conventions. `street_format` places {street} and {number}."""

    localities: tuple[Locality, ...]
    streets: tuple[str, ...]
    street_format: str
    postal_code: str  # a regex for the whole postal code
    company_forms: tuple[str, ...]
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    own_name: str  # how the country calls itself in company names ("Northwind Schweiz AG")

    def locality(self, name: str) -> Locality | None:
        return next((found for found in self.localities if same_place(found.name, name)), None)

    def accepts_postal_code(self, text: str) -> bool:
        return re.fullmatch(self.postal_code, text) is not None


def same_place(first: str, second: str) -> bool:
    return first.casefold().strip() == second.casefold().strip()


def _l(name: str, codes: str, streets: str = "", area: str = "") -> Locality:
    return Locality(name, tuple(codes.split("|")), tuple(filter(None, streets.split("|"))), area)


_DE_STREETS = "Hauptstraße|Bahnhofstraße|Schillerstraße|Goethestraße|Lindenstraße|Gartenstraße"
_CH_GERMAN = "Bahnhofstrasse|Seestrasse|Dorfstrasse|Kirchgasse|Marktgasse|Löwenstrasse"
_CH_FRENCH = "Rue du Marché|Rue de Lausanne|Avenue de la Gare|Rue du Rhône|Rue de Bourg"
_BE_FRENCH = "Rue de la Loi|Avenue Louise|Rue Neuve|Boulevard Anspach|Rue Royale"

# fmt: off
PLACES: dict[str, Place] = {
    "GB": Place(
        (_l("London", "EC1A 1BB|SW1A 2AA|N1 9GU|E1 6AN"), _l("Manchester", "M1 1AE|M2 3WQ"),
         _l("Edinburgh", "EH1 1YZ|EH2 2BY"), _l("Birmingham", "B1 1BB|B2 4QA")),
        ("High Street", "Station Road", "Church Street", "Victoria Road", "King Street",
         "Market Street"),
        "{number} {street}", r"[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}", ("Ltd", "Limited", "LLP"),
        ("Oliver", "Amelia", "Harry", "Isla", "George", "Emily"),
        ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson"), "UK"),
    "DE": Place(
        (_l("Berlin", "10115|10117|10178"), _l("München", "80331|80333|80469"),
         _l("Hamburg", "20095|20354|22767"), _l("Frankfurt am Main", "60311|60313|60329"),
         _l("Köln", "50667|50672|50823")),
        tuple(_DE_STREETS.split("|")), "{street} {number}", r"\d{5}",
        ("GmbH", "AG", "GmbH & Co. KG"),
        ("Lukas", "Anna", "Felix", "Lena", "Jonas", "Marie"),
        ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Wagner"), "Deutschland"),
    "FR": Place(
        (_l("Paris", "75001|75008|75011"), _l("Lyon", "69001|69002|69007"),
         _l("Marseille", "13001|13006|13008"), _l("Bordeaux", "33000|33300|33800")),
        ("rue de la République", "avenue Jean Jaurès", "rue Victor Hugo", "boulevard Pasteur",
         "rue du Général de Gaulle", "place de la Gare"),
        "{number} {street}", r"\d{5}", ("SAS", "SARL", "SA"),
        ("Camille", "Louis", "Léa", "Hugo", "Manon", "Jules"),
        ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Petit"), "France"),
    "NL": Place(
        (_l("Amsterdam", "1012 AB|1016 DK|1071 XX"), _l("Rotterdam", "3011 AD|3012 CL"),
         _l("Den Haag", "2511 BT|2514 EA"), _l("Utrecht", "3511 LX|3512 JE")),
        ("Kerkstraat", "Stationsweg", "Dorpsstraat", "Molenweg", "Prinsengracht",
         "Julianalaan"),
        "{street} {number}", r"\d{4} ?[A-Z]{2}", ("B.V.", "N.V."),
        ("Daan", "Sanne", "Bram", "Fleur", "Lars", "Eva"),
        ("de Jong", "Jansen", "de Vries", "Bakker", "Visser", "Smit"), "Nederland"),
    "CH": Place(
        (_l("Zürich", "8001|8004|8005", _CH_GERMAN), _l("Bern", "3011|3012|3013", _CH_GERMAN),
         _l("Basel", "4001|4051|4056", _CH_GERMAN), _l("Lausanne", "1003|1004|1007", _CH_FRENCH),
         _l("Genève", "1201|1204|1205", _CH_FRENCH)),
        tuple(_CH_GERMAN.split("|")), "{street} {number}", r"\d{4}", ("AG", "GmbH", "SA", "Sàrl"),
        ("Luca", "Mia", "Noah", "Lea", "Elias", "Nina"),
        ("Keller", "Meier", "Brunner", "Favre", "Rochat", "Baumann"), "Schweiz"),
    "AU": Place(
        (_l("Sydney", "2000|2010", area="NSW"), _l("Melbourne", "3000|3004", area="VIC"),
         _l("Brisbane", "4000|4006", area="QLD"), _l("Perth", "6000|6005", area="WA")),
        ("George Street", "Collins Street", "Queen Street", "Murray Street", "Elizabeth Street",
         "Pitt Street"),
        "{number} {street}", r"\d{4}", ("Pty Ltd",),
        ("Jack", "Charlotte", "William", "Olivia", "Thomas", "Mia"),
        ("Smith", "Nguyen", "Williams", "Brown", "Wilson", "Taylor"), "Australia"),
    "ES": Place(
        (_l("Madrid", "28001|28013|28014"), _l("Barcelona", "08001|08007|08029"),
         _l("Valencia", "46001|46002|46004")),
        ("Calle Mayor", "Calle de Alcalá", "Avenida de la Constitución", "Calle Real",
         "Gran Vía", "Calle del Carmen"),
        "{street} {number}", r"\d{5}", ("S.L.", "S.A."),
        ("Lucía", "Hugo", "Martina", "Pablo", "Sofía", "Daniel"),
        ("García", "Fernández", "González", "Rodríguez", "López", "Martínez"), "España"),
    "IT": Place(
        (_l("Milano", "20121|20122|20154", area="MI"), _l("Roma", "00184|00186|00197", area="RM"),
         _l("Torino", "10121|10123|10128", area="TO")),
        ("Via Roma", "Via Garibaldi", "Corso Vittorio Emanuele II", "Via Dante",
         "Piazza della Repubblica", "Via Mazzini"),
        "{street} {number}", r"\d{5}", ("S.r.l.", "S.p.A."),
        ("Giulia", "Lorenzo", "Sofia", "Matteo", "Aurora", "Francesco"),
        ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano"), "Italia"),
    "SE": Place(
        (_l("Stockholm", "111 51|114 35|118 46"), _l("Göteborg", "411 05|413 04"),
         _l("Malmö", "211 20|214 22")),
        ("Storgatan", "Drottninggatan", "Kungsgatan", "Vasagatan", "Sveavägen",
         "Järnvägsgatan"),
        "{street} {number}", r"\d{3} ?\d{2}", ("AB",),
        ("Elsa", "William", "Alice", "Hugo", "Maja", "Oscar"),
        ("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson"), "Sverige"),
    "BE": Place(
        (_l("Bruxelles", "1000|1040|1050", _BE_FRENCH),
         _l("Antwerpen", "2000|2018|2060", "Meir|Kerkstraat|Leopoldstraat|Nationalestraat"),
         _l("Gent", "9000|9050", "Veldstraat|Korenmarkt|Kortrijksesteenweg")),
        tuple(_BE_FRENCH.split("|")), "{street} {number}", r"\d{4}", ("SRL", "SA", "BV", "NV"),
        ("Lucas", "Emma", "Louis", "Olivia", "Arthur", "Louise"),
        ("Peeters", "Janssens", "Maes", "Dubois", "Lambert", "Claes"), "België"),
    "AT": Place(
        (_l("Wien", "1010|1030|1070"), _l("Graz", "8010|8020"), _l("Salzburg", "5020")),
        ("Hauptstraße", "Bahnhofstraße", "Mariahilfer Straße", "Kärntner Straße", "Herrengasse",
         "Getreidegasse"),
        "{street} {number}", r"\d{4}", ("GmbH", "AG"),
        ("Maximilian", "Anna", "Paul", "Laura", "Tobias", "Sophie"),
        ("Gruber", "Huber", "Bauer", "Wagner", "Pichler", "Steiner"), "Österreich"),
    "IE": Place(
        (_l("Dublin", "D02 X285|D01 F5P2|D08 VF8H"), _l("Cork", "T12 XY12|T23 K7W2"),
         _l("Galway", "H91 E2K3|H91 YT20")),
        ("Main Street", "O'Connell Street", "Grafton Street", "Patrick Street", "Shop Street",
         "Dame Street"),
        "{number} {street}", r"[A-Z]\d[\dW] ?[A-Z\d]{4}", ("Limited", "DAC"),
        ("Conor", "Aoife", "Seán", "Niamh", "Cian", "Ciara"),
        ("Murphy", "Kelly", "O'Sullivan", "Walsh", "Byrne", "Ryan"), "Ireland"),
    "JP": Place(
        (_l("Tokyo", "100-0004|105-0011|150-0002",
            "Marunouchi, Chiyoda-ku|Shiba, Minato-ku|Shibuya, Shibuya-ku"),
         _l("Osaka", "530-0001|542-0081", "Umeda, Kita-ku|Minamisenba, Chuo-ku"),
         _l("Nagoya", "450-0002|460-0008", "Meieki, Nakamura-ku|Sakae, Naka-ku")),
        ("Marunouchi, Chiyoda-ku",), "{number} {street}", r"\d{3}-\d{4}",
        ("K.K.", "Co., Ltd.", "G.K."),
        ("Haruto", "Yui", "Sota", "Hina", "Ren", "Aoi"),
        ("Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito"), "Japan"),
    "BR": Place(
        (_l("São Paulo", "01310-200|04538-132", "Avenida Paulista|Rua Augusta|Rua Oscar Freire",
            "SP"),
         _l("Rio de Janeiro", "20040-020|22250-040", "Avenida Rio Branco|Rua da Assembleia",
            "RJ"),
         _l("Belo Horizonte", "30130-010|30140-071", "Avenida Afonso Pena|Rua da Bahia", "MG")),
        ("Avenida Paulista",), "{street}, {number}", r"\d{5}-\d{3}", ("Ltda.", "S.A."),
        ("Miguel", "Helena", "Arthur", "Alice", "Gael", "Laura"),
        ("Silva", "Santos", "Oliveira", "Souza", "Pereira", "Costa"), "Brasil"),
    "PL": Place(
        (_l("Warszawa", "00-001|00-950|02-495"), _l("Kraków", "30-001|31-042")),
        ("ul. Marszałkowska", "ul. Floriańska", "ul. Długa", "al. Jerozolimskie",
         "ul. Mickiewicza", "ul. Słowackiego"),
        "{street} {number}", r"\d{2}-\d{3}", ("Sp. z o.o.", "S.A."),
        ("Jan", "Zuzanna", "Antoni", "Julia", "Franciszek", "Maja"),
        ("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kamiński", "Lewandowski"), "Polska"),
    "DK": Place(
        (_l("København", "1160|1620|2100"), _l("Aarhus", "8000|8200"), _l("Odense", "5000")),
        ("Strøget", "Vesterbrogade", "Nørregade", "Østergade", "Bredgade", "Søndergade"),
        "{street} {number}", r"\d{4}", ("ApS", "A/S"),
        ("William", "Ida", "Noah", "Emma", "Oscar", "Freja"),
        ("Nielsen", "Jensen", "Hansen", "Pedersen", "Andersen", "Christensen"), "Danmark"),
    "NO": Place(
        (_l("Oslo", "0150|0159|0250"), _l("Bergen", "5003|5014"), _l("Trondheim", "7010")),
        ("Karl Johans gate", "Storgata", "Kirkegata", "Bogstadveien", "Strandgaten",
         "Olav Tryggvasons gate"),
        "{street} {number}", r"\d{4}", ("AS", "ASA"),
        ("Jakob", "Nora", "Emil", "Sofie", "Filip", "Ingrid"),
        ("Hansen", "Johansen", "Olsen", "Larsen", "Berg", "Haugen"), "Norge"),
    "FI": Place(
        (_l("Helsinki", "00100|00120|00180"), _l("Tampere", "33100"), _l("Turku", "20100")),
        ("Mannerheimintie", "Aleksanterinkatu", "Hämeenkatu", "Esplanadi", "Kauppakatu",
         "Puistokatu"),
        "{street} {number}", r"\d{5}", ("Oy", "Oyj"),
        ("Eino", "Aino", "Onni", "Helmi", "Leo", "Aada"),
        ("Korhonen", "Virtanen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen"), "Suomi"),
    "PT": Place(
        (_l("Lisboa", "1100-148|1250-096|1269-046"), _l("Porto", "4000-322|4050-297")),
        ("Avenida da Liberdade", "Rua Augusta", "Rua de Santa Catarina", "Avenida dos Aliados",
         "Rua do Ouro", "Rua Garrett"),
        "{street} {number}", r"\d{4}-\d{3}", ("Lda.", "S.A."),
        ("Francisco", "Maria", "Afonso", "Leonor", "Tomás", "Matilde"),
        ("Silva", "Santos", "Ferreira", "Pereira", "Oliveira", "Costa"), "Portugal"),
    "MX": Place(
        (_l("Ciudad de México", "06600|11560", area="CDMX"),
         _l("Guadalajara", "44100|44160", area="Jal."),
         _l("Monterrey", "64000|66260", area="N.L.")),
        ("Paseo de la Reforma", "Avenida Insurgentes Sur", "Avenida Juárez", "Calle Madero",
         "Avenida Chapultepec", "Calle Hidalgo"),
        "{street} {number}", r"\d{5}", ("S.A. de C.V.", "S. de R.L. de C.V."),
        ("Santiago", "Regina", "Mateo", "Valentina", "Sebastián", "Camila"),
        ("Hernández", "García", "Martínez", "López", "González", "Pérez"), "México"),
    "NZ": Place(
        (_l("Auckland", "1010|1011"), _l("Wellington", "6011|6012")),
        ("Queen Street", "Lambton Quay", "Karangahape Road", "Cuba Street", "Ponsonby Road",
         "Willis Street"),
        "{number} {street}", r"\d{4}", ("Limited",),
        ("Oliver", "Isla", "Jack", "Charlotte", "Leo", "Amelia"),
        ("Smith", "Wilson", "Williams", "Brown", "Taylor", "Ngata"), "NZ"),
    "SG": Place(
        (_l("Singapore", "018983|049315|238859"),),
        ("Marina Boulevard", "Orchard Road", "Raffles Place", "Robinson Road", "Shenton Way",
         "Cecil Street"),
        "{number} {street}", r"\d{6}", ("Pte. Ltd.",),
        ("Wei Ling", "Jun Jie", "Hui Min", "Ravi", "Siti", "Daniel"),
        ("Tan", "Lim", "Lee", "Ng", "Wong", "Kumar"), "Singapore"),
}
# fmt: on

# ISO 3166-1 alpha-2: the country codes an address may have.
_ISO_CODES = """
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT
BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH
ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT
HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS
LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI
NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG
SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG
UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
"""
ISO_COUNTRY_CODES = frozenset(_ISO_CODES.split())
