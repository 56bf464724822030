"""Data tables for generated leads: German names, places, companies and plant hardware.

Places are real postal-code/city pairs with their telephone area code and approximate
coordinates, so addresses, phone numbers and asset locations agree with each other.
Lists are written as `|`-separated text so the tables stay readable.
"""

from __future__ import annotations

from typing import NamedTuple


def _items(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split("|") if item.strip())


class City(NamedTuple):
    name: str
    postal_code: str
    area_code: str  # without the national 0
    latitude: float
    longitude: float


class Turbine(NamedTuple):
    model: str
    rated_kw: int
    hub_heights_m: tuple[int, ...]


FEMALE_FIRST_NAMES = _items(
    """Anna | Maria | Julia | Katharina | Sabine | Petra | Claudia | Stefanie | Laura | Lena |
    Sophie | Monika | Andrea | Birgit | Nicole | Susanne | Christina | Johanna | Franziska |
    Heike | Jana | Kerstin | Ute | Miriam"""
)
MALE_FIRST_NAMES = _items(
    """Thomas | Michael | Andreas | Stefan | Christian | Markus | Tobias | Jan | Lukas | Felix |
    Matthias | Jürgen | Klaus | Wolfgang | Frank | Uwe | Sebastian | Florian | Maximilian |
    Johannes | Henrik | Torsten | Dirk | Jörg"""
)
LAST_NAMES = _items(
    """Müller | Schmidt | Schneider | Fischer | Weber | Meyer | Wagner | Becker | Schulz |
    Hoffmann | Schäfer | Koch | Bauer | Richter | Klein | Wolf | Schröder | Neumann | Schwarz |
    Zimmermann | Braun | Krüger | Hofmann | Hartmann | Lange | Schmitt | Werner | Schmitz |
    Krause | Meier | Lehmann | Köhler | Herrmann | König | Walter | Mayer | Huber | Kaiser |
    Fuchs | Peters | Lang | Scholz | Möller | Weiß | Jung | Hahn | Vogel | Friedrich | Keller |
    Günther | Jensen | Petersen | Hansen | Thiele"""
)
POSITIONS = _items(
    """Geschäftsführung | Asset Manager | Technische Leitung | Einkauf Energie |
    Betriebsführung | Vorstand | Projektentwicklung | Energiehandel | Kaufmännische Leitung |
    Prokurist"""
)
STREETS = _items(
    """Hauptstraße | Bahnhofstraße | Dorfstraße | Schulstraße | Gartenstraße | Industriestraße |
    Lindenstraße | Am Markt | Bergstraße | Kirchstraße | Gewerbering | Energieweg | Am Windpark |
    Sonnenallee | Siemensstraße | Mühlenweg | Hafenstraße | Friedrichstraße | Raiffeisenstraße |
    Ringstraße | Wiesenweg | Zum Solarpark | Deichstraße | Feldmark"""
)
CITIES = tuple(
    City(name, postal, area, float(lat), float(lon))
    for name, postal, area, lat, lon in (
        line.strip().split("|")
        for line in """Berlin|10115|30|52.532|13.384
            Hamburg|20095|40|53.551|9.994
            München|80331|89|48.137|11.575
            Köln|50667|221|50.938|6.957
            Frankfurt am Main|60311|69|50.110|8.682
            Stuttgart|70173|711|48.778|9.180
            Düsseldorf|40213|211|51.226|6.773
            Leipzig|04109|341|51.340|12.375
            Dortmund|44135|231|51.514|7.465
            Bremen|28195|421|53.079|8.802
            Dresden|01067|351|51.050|13.738
            Hannover|30159|511|52.374|9.738
            Nürnberg|90402|911|49.452|11.077
            Kiel|24103|431|54.323|10.135
            Rostock|18055|381|54.092|12.099
            Husum|25813|4841|54.477|9.052
            Bredstedt|25821|4671|54.619|8.977
            Niebüll|25899|4661|54.788|8.829
            Aurich|26603|4941|53.471|7.484
            Emden|26721|4921|53.367|7.207
            Cuxhaven|27472|4721|53.861|8.694
            Oldenburg|26122|441|53.143|8.214
            Osnabrück|49074|541|52.279|8.047
            Münster|48143|251|51.962|7.626
            Bielefeld|33602|521|52.021|8.532
            Magdeburg|39104|391|52.131|11.640
            Halle (Saale)|06108|345|51.482|11.970
            Erfurt|99084|361|50.978|11.029
            Potsdam|14467|331|52.396|13.058
            Cottbus|03046|355|51.757|14.329
            Ludwigsfelde|14974|3378|52.297|13.266
            Prenzlau|17291|3984|53.316|13.864
            Neubrandenburg|17033|395|53.557|13.261
            Schwerin|19053|385|53.629|11.414
            Freiburg im Breisgau|79098|761|47.995|7.850
            Ulm|89073|731|48.399|9.993
            Augsburg|86150|821|48.366|10.898
            Regensburg|93047|941|49.013|12.101
            Passau|94032|851|48.575|13.461
            Würzburg|97070|931|49.792|9.953
            Kassel|34117|561|51.316|9.498
            Mainz|55116|6131|49.999|8.274
            Saarbrücken|66111|681|49.234|6.996
            Trier|54290|651|49.756|6.641
            Landshut|84028|871|48.537|12.152
            Ingolstadt|85049|841|48.766|11.426
            Göttingen|37073|551|51.534|9.935
            Brandenburg an der Havel|14770|3381|52.412|12.532
            Stendal|39576|3931|52.606|11.858""".splitlines()
    )
)
# Company name pattern -> legal forms that fit it; {city} and {last} are filled in.
COMPANY_PATTERNS: dict[str, tuple[str, ...]] = {
    "Solarpark {city}": ("GmbH & Co. KG", "GmbH"),
    "Windpark {city}": ("GmbH & Co. KG", "GmbH"),
    "Bürgerwindpark {city}": ("GmbH & Co. KG", "eG"),
    "Energiegenossenschaft {city}": ("eG",),
    "Stadtwerke {city}": ("GmbH", "AG"),
    "{last} Energie": ("GmbH", "KG", "AG"),
    "{last} Solartechnik": ("GmbH", "KG"),
    "Agrar-Energie {last}": ("GmbH & Co. KG", "KG"),
    "{last} Erneuerbare Energien": ("GmbH", "AG"),
    "Nordwind {city}": ("GmbH & Co. KG",),
    "Sonnenstrom {city}": ("GmbH", "eG"),
    "BioEnergie {city}": ("GmbH & Co. KG", "GmbH"),
}
SOLAR_ASSET_PATTERNS = _items(
    """PV Dach Halle {n} | Freiflächenanlage {city} | PV-Park {city} {n} | Agri-PV {city} |
    PV Carport Betriebshof | Solarpark {city} Süd | PV Scheunendach {last}"""
)
WIND_ASSET_PATTERNS = _items("Windpark {city} | WEA {city} {n} | Bürgerwind {city} {n} | Repowering {city}")
ORIENTATIONS = ("S", "SO", "SW", "O-W")
TURBINES = (
    Turbine("Enercon E-82 E2", 2300, (78, 98, 108, 138)),
    Turbine("Enercon E-115", 3000, (92, 122, 149)),
    Turbine("Enercon E-138 EP3", 4200, (111, 131, 160)),
    Turbine("Vestas V90-2.0", 2000, (80, 95, 105)),
    Turbine("Vestas V150-4.2", 4200, (105, 125, 148, 166)),
    Turbine("Nordex N117/3600", 3600, (91, 106, 141)),
    Turbine("Nordex N149/5.X", 5700, (105, 125, 164)),
    Turbine("Siemens Gamesa SG 5.0-145", 5000, (102, 127, 157)),
    Turbine("GE 2.75-120", 2750, (85, 110, 139)),
)
PROFILE_FILE_NAMES = _items(
    """lastgang_{year}.csv | einspeiseprofil_{year}.csv | erzeugung_{year}_viertelstunde.csv |
    production_profile_{year}.csv | zaehlerdaten_{year}.csv"""
)
DOCUMENT_FILE_NAMES = {
    "Certificate": _items("anlagenzertifikat.pdf | eeg_bescheid.pdf | herkunftsnachweis_{year}.pdf"),
    "TechnicalSpecification": _items(
        "datenblatt_modul.pdf | datenblatt_wechselrichter.pdf | technische_beschreibung.pdf"
    ),
    "Other": _items("lageplan.pdf | netzanschlusszusage.pdf"),
}
LEAD_STATUSES = ("New", "InProgress", "OfferSent", "Won", "Lost", "Archived")
LEAD_STATUS_WEIGHTS = (30, 25, 15, 10, 10, 10)
UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})
