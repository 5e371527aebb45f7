"""Word lists for the PII classifier: names, titles, street words, column-name hints.

The lists are written by hand from general knowledge of common names and address
conventions (no download, no data set): a few hundred given names and surnames that
are frequent in English-, German-, French-, Spanish-, Italian-, Dutch- and
Portuguese-speaking countries plus some Nordic, Polish and Turkish ones. They only
*corroborate* a column that already looks like names (capitalised 2–4 token values);
they never decide on their own. Everything is lower case, with and without accents.
"""

from __future__ import annotations

import re
import unicodedata


def _words(text: str) -> frozenset[str]:
    out: set[str] = set()
    for w in text.split():
        w = w.lower()
        out.add(w)
        plain = unicodedata.normalize("NFKD", w).encode("ascii", "ignore").decode()
        if plain:
            out.add(plain)
    return frozenset(out)


GIVEN_NAMES = _words(
    """
    james john robert michael william david richard joseph thomas charles christopher daniel matthew
    anthony mark donald steven paul andrew joshua kenneth kevin brian george timothy ronald edward jason
    jeffrey ryan jacob gary nicholas eric jonathan stephen larry justin scott brandon benjamin samuel
    gregory alexander frank patrick raymond jack dennis jerry tyler aaron jose adam nathan henry peter
    zachary douglas harold kyle noah ethan jeremy walter christian keith roger terry austin sean gerald
    carl dylan harry arthur lawrence jordan jesse bryan billy bruce gabriel joe logan albert willie alan
    eugene russell vincent philip bobby johnny bradley roy ralph randy louis wayne liam oliver jake
    mary patricia jennifer linda elizabeth barbara susan jessica sarah karen lisa nancy betty margaret
    sandra ashley kimberly emily donna michelle carol amanda dorothy melissa deborah stephanie rebecca
    sharon laura cynthia kathleen amy angela shirley anna brenda pamela emma nicole helen samantha
    katherine christine debra rachel carolyn janet catherine maria heather diane ruth julie olivia joyce
    virginia victoria kelly lauren christina joan evelyn judith megan andrea cheryl hannah jacqueline
    martha gloria teresa ann sara madison frances kathryn janice jean abigail alice judy sophia grace
    denise amber doris marilyn danielle beverly isabella theresa diana natalie brittany charlotte marie
    kayla alexis lori jane sophie chloe lucy ella amelia jessica holly zoe ellie poppy
    hans peter klaus jurgen jürgen wolfgang dieter uwe michael thomas andreas stefan frank bernd werner
    horst helmut gerhard karl heinz manfred günter gunter rolf ralf sven jens jan lukas leon finn jonas
    felix maximilian paul elias moritz niklas tim tobias florian sebastian matthias markus christoph
    ursula monika petra sabine renate helga karin brigitte ingrid gabriele andrea claudia susanne
    birgit heike katrin kerstin nicole stefanie julia lena lea mia hannah laura leonie johanna marie
    emilia lina greta frieda ida ilse gisela erika hildegard waltraud ute anke silke jutta dagmar
    jean pierre michel philippe alain nicolas christophe patrick daniel bernard eric frederic frédéric
    laurent stephane stéphane olivier sebastien sébastien julien francois françois pascal thierry
    jerome jérôme david guillaume antoine hugo louis lucas gabriel arthur raphael raphaël theo théo
    mathieu mathis nathan enzo yves marcel andre andré rene rené gerard gérard roger claude jacques
    marie nathalie isabelle sylvie catherine francoise françoise martine christine monique valerie
    valérie sandrine sophie celine céline chantal nicole veronique véronique anne camille manon chloe
    chloé lea léa ines inès jade louise alice juliette margaux margot elodie élodie aurelie aurélie
    emilie émilie amandine audrey caroline helene hélène jacqueline madeleine genevieve geneviève
    antonio jose josé manuel francisco juan david javier daniel carlos jesus jesús alejandro miguel
    rafael pedro pablo angel ángel sergio fernando jorge luis alberto alvaro álvaro diego adrian adrián
    raul raúl enrique ramon ramón vicente ignacio andres andrés joaquin joaquín santiago mateo hugo
    carmen maria maría josefa isabel ana dolores pilar teresa rosa francisca cristina antonia laura
    marta elena lucia lucía mercedes paula sara raquel beatriz rocio rocío patricia silvia nuria
    montserrat alba irene julia andrea eva noelia concepcion concepción inmaculada encarnacion
    giuseppe giovanni antonio mario luigi francesco angelo vincenzo pietro salvatore carlo franco
    domenico bruno paolo michele giorgio aldo sergio luciano marco alessandro andrea matteo lorenzo
    leonardo riccardo davide simone federico gabriele stefano roberto massimo fabio claudio alberto
    giulia francesca sofia chiara alessia martina sara giorgia elisa valentina federica silvia
    anna rosa angela giovanna teresa lucia carmela caterina francesca paola laura elena simona
    cristina daniela barbara patrizia rita antonella luisa serena ilaria beatrice aurora ginevra
    jan johannes cornelis hendrik willem pieter gerrit jacobus dirk henk kees bram daan sem lucas
    levi thijs ruben lars stijn bas joost sander tom niels jeroen wouter maarten koen rik tijmen
    maria johanna anna cornelia elisabeth wilhelmina hendrika catharina geertje jannetje emma
    sanne lotte fleur anouk iris lisa femke eva sophie julia tess noor saar mila lieke roos ilse
    joao joão jose josé antonio antônio francisco carlos paulo pedro lucas luiz marcos luis gabriel
    rafael daniel marcelo bruno eduardo felipe raimundo rodrigo manoel mateus andre andré fernando
    fabio fábio leonardo gustavo guilherme leandro tiago thiago anderson ricardo marcio márcio
    maria ana francisca antonia antônia adriana juliana marcia márcia fernanda patricia patrícia
    aline sandra camila amanda bruna jessica letícia leticia júlia julia luciana vanessa mariana
    gabriela vitoria vitória larissa beatriz beatriz raquel helena alice laura manuela valentina
    lars erik anders per nils karl olof johan mikael magnus henrik ingrid astrid sigrid karin
    kristina birgitta anneli elin maja freja nora emma ida
    piotr krzysztof andrzej tomasz pawel paweł marcin michal michał jakub anna katarzyna malgorzata
    małgorzata agnieszka barbara ewa magdalena joanna zofia
    mehmet mustafa ahmet ali huseyin hüseyin hasan ibrahim ayse ayşe fatma emine hatice zeynep elif
    mohammed muhammad ahmed omar youssef fatima aisha
    """
)

SURNAMES = _words(
    """
    smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez lopez gonzalez
    wilson anderson thomas taylor moore jackson martin lee perez thompson white harris sanchez clark
    ramirez lewis robinson walker young allen king wright scott torres nguyen hill flores green adams
    nelson baker hall rivera campbell mitchell carter roberts gomez phillips evans turner diaz parker
    cruz edwards collins reyes stewart morris morales murphy cook rogers gutierrez ortiz morgan cooper
    peterson bailey reed kelly howard ramos kim cox ward richardson watson brooks chavez wood james
    bennett gray mendoza ruiz hughes price alvarez castillo sanders patel myers long ross foster
    jimenez powell jenkins perry russell sullivan bell coleman butler henderson barnes gonzales fisher
    vasquez simmons romero jordan patterson alexander hamilton graham reynolds griffin wallace west
    cole hayes bryant gibson ellis stevens murray ford marshall owens mcdonald harrison kennedy wells
    davies wilkinson wright walsh hughes robertson thompson lloyd shaw hunt jenkins holmes palmer
    mueller müller schmidt schneider fischer weber meyer wagner becker schulz hoffmann schafer schäfer
    koch bauer richter klein wolf schroder schröder neumann schwarz zimmermann braun kruger krüger
    hofmann hartmann lange schmitt werner schmitz krause meier lehmann schmid schulze maier kohler
    köhler herrmann konig könig walter mayer huber kaiser fuchs peters lang scholz moller möller weiss
    weiß jung hahn schubert vogel friedrich keller gunther günther frank berger winkler roth beck
    lorenz baumann franke albrecht schuster simon ludwig bohm böhm winter kraus martin schumacher
    martin bernard dubois thomas robert richard petit durand leroy moreau simon laurent lefebvre
    michel garcia david bertrand roux vincent fournier morel girard andre andré lefevre lefèvre mercier
    dupont lambert bonnet francois françois martinez legrand garnier faure rousseau blanc guerin
    guérin muller henry roussel nicolas perrin morin mathieu clement clément gauthier dumont lopez
    fontaine chevalier robin masson sanchez gerard gérard nguyen boyer denis lemaire duval joly
    gautier roger roche roy noel noël meyer lucas meunier jean perez marchand dufour blanchard
    garcia gonzalez gonzález rodriguez rodríguez fernandez fernández lopez lópez martinez martínez
    sanchez sánchez perez pérez gomez gómez martin martín jimenez jiménez ruiz hernandez hernández
    diaz díaz moreno munoz muñoz alvarez álvarez romero alonso gutierrez gutiérrez navarro torres
    dominguez domínguez vazquez vázquez ramos gil ramirez ramírez serrano blanco molina morales
    suarez suárez ortega delgado castro ortiz rubio marin marín sanz nunez núñez iglesias medina
    garrido cortes cortés castillo santos lozano guerrero cano prieto mendez méndez cruz calvo
    gallego vidal leon león marquez márquez herrera pena peña flores cabrera campos vega fuentes
    rossi russo ferrari esposito bianchi romano colombo ricci marino greco bruno gallo conti
    deluca costa giordano mancini rizzo lombardi moretti barbieri fontana santoro mariani rinaldi
    caruso ferrara galli martini leone longo gentile martinelli vitale lombardo serra coppola
    desantis marchetti parisi villa conte ferraro ferri fabbri bianco marini grasso valentini
    messina sala deangelis gatti pellegrini palumbo sanna farina rizzi monti cattaneo morelli
    amato silvestri mazza testa grassi pellegrino carbone giuliani benedetti barone rossetti
    jansen janssen vries devries bakker visser smit meijer boer mulder groot bos vos peters hendriks
    dekker brouwer wit dijkstra smits graaf vermeulen berg bergen linden kok jacobs haan vermeer
    heuvel veen broek bruijn bruin schouten beek willems wijk hoekstra maas verhoeven koster prins
    leeuwen dam kuipers postma huisman kramer vliet molen gerritsen
    silva santos oliveira souza sousa rodrigues ferreira alves pereira lima gomes costa ribeiro
    martins carvalho almeida lopes soares fernandes vieira barbosa rocha dias nascimento andrade
    moreira nunes marques machado mendes freitas cardoso ramos goncalves gonçalves santana teixeira
    araujo araújo pinto correia cavalcanti monteiro moura campos castro cunha azevedo batista
    andersson johansson karlsson nilsson eriksson larsson olsson persson svensson gustafsson
    hansen jensen nielsen pedersen olsen christensen kowalski nowak wisniewski wiśniewski wojcik
    wójcik kowalczyk kaminski kamiński lewandowski zielinski zieliński yilmaz yılmaz kaya demir
    sahin şahin celik çelik yildiz yıldız aydin aydın ozturk öztürk
    """
)

# Tokens that are not part of a person's name proper: titles, honorifics, degrees.
NAME_AFFIXES = _words(
    """
    mr mrs ms miss mx dr prof sir dame lady lord rev fr herr frau dipl ing mag univ
    m mme mlle me sr sra srta d dna dña don doña dott dottssa dssa sig sigra ing avv
    dhr mevr mw drs ir jhr jr ii iii iv md phd dds dvm mba ba bsc msc ma beng meng llm
    b.sc m.sc b.a m.a b.eng m.eng ll.m mba. b.sc. m.sc. b.a. m.a. jr. sr. dr. prof. mr. mrs. ms.
    """
)

# Lower-case particles that may appear inside names (van der Berg, da Silva, de la Cruz).
NAME_PARTICLES = frozenset(
    [
        "van",
        "von",
        "der",
        "den",
        "de",
        "del",
        "della",
        "dei",
        "degli",
        "di",
        "da",
        "das",
        "dos",
        "do",
        "du",
        "la",
        "le",
        "les",
        "ten",
        "ter",
        "zu",
        "y",
        "e",
        "'t",
        "al",
        "el",
        "bin",
        "ibn",
        "af",
        "av",
    ]
)

# Words that make a capitalised 2–3 token value a company, place or product rather than a person.
NOT_NAME_WORDS = _words(
    """
    inc llc ltd plc gmbh ag kg kgaa ohg se sa sarl sas spa srl bv nv ltda corp co company group
    holding holdings partners and und et e y associates sons fils söhne solutions systems services
    technologies bank university city street road avenue lane drive park lake port mount saint
    north south east west new hotel restaurant store shop market center centre
    """
)

# Street-type words. The English ones follow the USPS Publication 28 suffix list (plus a
# few British words) and must be capitalised ("12 Baker Street"); the others are the
# usual words for a street in each language and match in any case ("78, rue de Bailly").
STREET_WORDS_EN = frozenset(
    [
        "alley",
        "aly",
        "annex",
        "arcade",
        "avenue",
        "ave",
        "bayou",
        "beach",
        "bend",
        "bluff",
        "bluffs",
        "bottom",
        "boulevard",
        "blvd",
        "branch",
        "bridge",
        "brook",
        "brooks",
        "burg",
        "burgs",
        "bypass",
        "camp",
        "canyon",
        "cape",
        "causeway",
        "center",
        "centers",
        "circle",
        "circles",
        "cir",
        "cliff",
        "cliffs",
        "club",
        "common",
        "commons",
        "corner",
        "corners",
        "course",
        "court",
        "courts",
        "ct",
        "cove",
        "coves",
        "creek",
        "crescent",
        "cres",
        "crest",
        "crossing",
        "crossroad",
        "curve",
        "dale",
        "dam",
        "divide",
        "drive",
        "drives",
        "dr",
        "estate",
        "estates",
        "expressway",
        "extension",
        "extensions",
        "fall",
        "falls",
        "ferry",
        "field",
        "fields",
        "flat",
        "flats",
        "ford",
        "fords",
        "forest",
        "forge",
        "forges",
        "fork",
        "forks",
        "fort",
        "freeway",
        "garden",
        "gardens",
        "gateway",
        "glen",
        "glens",
        "green",
        "greens",
        "grove",
        "groves",
        "harbor",
        "harbors",
        "haven",
        "heights",
        "highway",
        "hwy",
        "hill",
        "hills",
        "hollow",
        "inlet",
        "island",
        "islands",
        "isle",
        "junction",
        "junctions",
        "key",
        "keys",
        "knoll",
        "knolls",
        "lake",
        "lakes",
        "land",
        "landing",
        "lane",
        "ln",
        "light",
        "lights",
        "loaf",
        "lock",
        "locks",
        "lodge",
        "loop",
        "mall",
        "manor",
        "manors",
        "meadow",
        "meadows",
        "mews",
        "mill",
        "mills",
        "mission",
        "motorway",
        "mount",
        "mountain",
        "mountains",
        "neck",
        "orchard",
        "oval",
        "overpass",
        "park",
        "parks",
        "parkway",
        "parkways",
        "pkwy",
        "pass",
        "passage",
        "path",
        "pike",
        "pine",
        "pines",
        "place",
        "pl",
        "plain",
        "plains",
        "plaza",
        "point",
        "points",
        "port",
        "ports",
        "prairie",
        "radial",
        "ramp",
        "ranch",
        "rapid",
        "rapids",
        "rest",
        "ridge",
        "ridges",
        "river",
        "road",
        "rd",
        "roads",
        "route",
        "row",
        "run",
        "shoal",
        "shoals",
        "shore",
        "shores",
        "skyway",
        "spring",
        "springs",
        "spur",
        "spurs",
        "square",
        "squares",
        "sq",
        "station",
        "stravenue",
        "stream",
        "street",
        "st",
        "streets",
        "summit",
        "terrace",
        "ter",
        "throughway",
        "trace",
        "track",
        "trafficway",
        "trail",
        "trailer",
        "tunnel",
        "turnpike",
        "underpass",
        "union",
        "unions",
        "valley",
        "valleys",
        "viaduct",
        "view",
        "views",
        "village",
        "villages",
        "ville",
        "vista",
        "walk",
        "walks",
        "wall",
        "way",
        "ways",
        "well",
        "wells",
        "close",
        "wynd",
    ]
)
STREET_WORDS_INTL = frozenset(
    [
        "rue",
        "avenue",
        "boulevard",
        "bd",
        "chemin",
        "allée",
        "allee",
        "impasse",
        "route",
        "quai",
        "cours",
        "place",
        "passage",
        "sentier",
        "faubourg",
        "rond-point",
        "voie",
        "calle",
        "avenida",
        "avda",
        "paseo",
        "plaza",
        "camino",
        "carrer",
        "carretera",
        "ronda",
        "travesia",
        "travesía",
        "callejón",
        "callejon",
        "glorieta",
        "cañada",
        "alameda",
        "pasaje",
        "urbanización",
        "urbanizacion",
        "cuesta",
        "rambla",
        "via",
        "viale",
        "piazza",
        "piazzale",
        "corso",
        "largo",
        "vicolo",
        "strada",
        "contrada",
        "borgo",
        "rotonda",
        "canale",
        "stretto",
        "incrocio",
        "lungomare",
        "salita",
        "rua",
        "av",
        "travessa",
        "praça",
        "praca",
        "estrada",
        "rodovia",
        "viela",
        "vila",
        "ladeira",
        "quadra",
        "setor",
        "trecho",
        "vereda",
        "viaduto",
        "straße",
        "strasse",
        "str",
        "gasse",
        "weg",
        "platz",
        "allee",
        "ring",
        "damm",
        "ufer",
        "chaussee",
        "steig",
        "pfad",
        "straat",
        "laan",
        "plein",
        "gracht",
        "kade",
        "dijk",
        "singel",
        "steeg",
        "hof",
    ]
)
STREET_WORDS = tuple(sorted(STREET_WORDS_EN | STREET_WORDS_INTL))

# German / Dutch compound street names end in one of these ("Hauptstraße", "Kerkstraat").
STREET_SUFFIXES = (
    "straße",
    "strasse",
    "str.",
    "gasse",
    "weg",
    "platz",
    "allee",
    "ring",
    "damm",
    "ufer",
    "chaussee",
    "steig",
    "pfad",
    "straat",
    "laan",
    "plein",
    "gracht",
    "kade",
    "dijk",
    "singel",
    "steeg",
)


def _hint(*words: str) -> re.Pattern[str]:
    return re.compile(r"(?:^|_)(?:" + "|".join(words) + r")(?:_|$)")


# Column-name hints, matched against the normalised name (lower case, tokens joined by "_",
# camelCase split). A positive hint raises the likelihood of its info type.
NAME_HINTS: dict[str, re.Pattern[str]] = {
    "EMAIL_ADDRESS": _hint(r"e?_?mail\w*", "email_address", "correo", "courriel", "mail_address"),
    "PHONE_NUMBER": _hint(
        r"phone\w*",
        r"tel\w*",
        "mobile",
        "mobil",
        r"cell\w*",
        "fax",
        "handy",
        "portable",
        "celular",
        "msisdn",
        "telefone",
        "telefono",
        "teléfono",
        "telefon",
        "contact_number",
        "gsm",
        "numero_tel",
    ),
    "CREDIT_CARD_NUMBER": _hint(
        r"card\w*",
        "cc",
        "pan",
        "cc_num",
        "ccnum",
        r"credit\w*",
        "kreditkarte",
        "carte",
        "tarjeta",
        "carta",
        "cartao",
        "cartão",
        "visa",
        "mastercard",
        "amex",
    ),
    "US_SOCIAL_SECURITY_NUMBER": _hint(
        r"ssn\w*",
        "social_security",
        "soc_sec",
        "ss_no",
        "ss_num",
        "ssnum",
        "social_security_number",
        "social",
        "taxpayer",
        "tin",
        "itin",
    ),
    "PERSON_NAME": _hint(
        r"\w*name",
        "fullname",
        "firstname",
        "lastname",
        "surname",
        "forename",
        "givenname",
        "vorname",
        "nachname",
        "nom",
        "prenom",
        "prénom",
        "nombre",
        r"apellidos?",
        "nome",
        "cognome",
        "sobrenome",
        "naam",
        "voornaam",
        "achternaam",
        "customer",
        "client",
        "cliente",
        "kunde",
        "patient",
        "employee",
        "person",
        "contact",
        "owner",
        "passenger",
        "guest",
        "applicant",
        "member",
        "author",
        "holder",
        "cardholder",
        "recipient",
        "sender",
        "beneficiary",
        "titular",
        "inhaber",
        "intestatario",
    ),
    "STREET_ADDRESS": _hint(
        r"\w*address\w*",
        "addr",
        r"addr\d",
        "street",
        "strasse",
        "straße",
        "adresse",
        "direccion",
        "dirección",
        "indirizzo",
        "endereco",
        "endereço",
        "adres",
        "straat",
        "anschrift",
        "domicile",
        "domicilio",
        "residence",
        "line1",
        "line_1",
        "address1",
        "calle",
        "rua",
        "via",
        "woonadres",
    ),
    "IP_ADDRESS": _hint(
        r"ip",
        "ip_address",
        r"ipv[46]",
        "ip_addr",
        "ipaddr",
        "remote_addr",
        "client_ip",
        "host_ip",
        "src_ip",
        "dst_ip",
        "source_ip",
        "inet",
        "remote_host",
    ),
    "IBAN_CODE": _hint(
        "iban",
        r"\w*account\w*",
        "bank",
        "konto",
        "kontonummer",
        "compte",
        "cuenta",
        "conto",
        "rekening",
        "rekeningnummer",
        "conta",
        "bankverbindung",
    ),
    "DATE_OF_BIRTH": _hint(
        "dob",
        "birth",
        r"birth\w*",
        "born",
        "bday",
        r"geburt\w*",
        "naissance",
        "date_naissance",
        "nacimiento",
        "fecha_nacimiento",
        "nascita",
        "data_nascita",
        "geboorte",
        "geboortedatum",
        "nascimento",
        "data_nascimento",
        "date_of_birth",
        "birthdate",
        "birthday",
        "gebdat",
        "geb",
    ),
}

# Names that say the column is something else: identifiers, codes, versions, amounts,
# event dates. They weaken structure-only evidence (bare digits, plain dates, names).
NEGATIVE_HINT = _hint(
    r"order\w*",
    "invoice",
    "sku",
    r"product\w*",
    "item",
    r"tracking\w*",
    "track",
    "shipment",
    "parcel",
    "ticket",
    r"version\w*",
    "ver",
    "release",
    "build",
    "serial",
    "uuid",
    "guid",
    "hash",
    "checksum",
    "txn",
    r"transaction\w*",
    "batch",
    "lot",
    "model",
    "part",
    "zip",
    "zipcode",
    "postal",
    "postcode",
    "plz",
    "cep",
    "count",
    "qty",
    "quantity",
    "amount",
    "price",
    "total",
    "created",
    "updated",
    "modified",
    "timestamp",
    "ts",
    "event",
    "ship",
    "shipped",
    "delivery",
    "delivered",
    "due",
    "expiry",
    "expires",
    "expiration",
    "hire",
    "hired",
    "start",
    "end",
    "signup",
    "login",
    "purchase",
    "purchased",
    "company",
    "brand",
    "file",
    "filename",
    "host",
    "hostname",
    "domain",
    "city",
    "country",
    "region",
    "state",
    "category",
    "project",
    "team",
    "department",
    "sku_code",
    "ean",
    "upc",
    "isbn",
    "barcode",
    "firmware",
    "package",
    "pkg",
    "session",
    "request",
    "trace",
    "span",
    "ref",
    "reference",
    "code",
)


def normalise_column_name(name: object) -> str:
    """Lower-case a column name and join its words with ``_`` (``CustomerEmail`` → ``customer_email``)."""
    text = str(name)
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text)
    text = unicodedata.normalize("NFKC", text).lower()
    return "_".join(t for t in re.split(r"[^\w]+|_", text) if t)


# IBAN length per country (ISO 13616 registry).
IBAN_LENGTHS = {
    "AD": 24,
    "AE": 23,
    "AL": 28,
    "AT": 20,
    "AZ": 28,
    "BA": 20,
    "BE": 16,
    "BG": 22,
    "BH": 22,
    "BR": 29,
    "BY": 28,
    "CH": 21,
    "CR": 22,
    "CY": 28,
    "CZ": 24,
    "DE": 22,
    "DK": 18,
    "DO": 28,
    "EE": 20,
    "EG": 29,
    "ES": 24,
    "FI": 18,
    "FO": 18,
    "FR": 27,
    "GB": 22,
    "GE": 22,
    "GI": 23,
    "GL": 18,
    "GR": 27,
    "GT": 28,
    "HR": 21,
    "HU": 28,
    "IE": 22,
    "IL": 23,
    "IQ": 23,
    "IS": 26,
    "IT": 27,
    "JO": 30,
    "KW": 30,
    "KZ": 20,
    "LB": 28,
    "LC": 32,
    "LI": 21,
    "LT": 20,
    "LU": 20,
    "LV": 21,
    "LY": 25,
    "MC": 27,
    "MD": 24,
    "ME": 22,
    "MK": 19,
    "MR": 27,
    "MT": 31,
    "MU": 30,
    "NL": 18,
    "NO": 15,
    "PK": 24,
    "PL": 28,
    "PS": 29,
    "PT": 25,
    "QA": 29,
    "RO": 24,
    "RS": 22,
    "SA": 24,
    "SC": 31,
    "SE": 24,
    "SI": 19,
    "SK": 24,
    "SM": 27,
    "ST": 25,
    "SV": 28,
    "TL": 23,
    "TN": 24,
    "TR": 26,
    "UA": 29,
    "VA": 22,
    "VG": 24,
    "XK": 20,
}
