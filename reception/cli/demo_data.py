"""The demo directory as plain data: bodies, heads, deputies, studios and the demo accounts.

Every person named here is fictional. Addresses and phone numbers are plausible
illustrations, not a reference: check a body's own site before relying on them.
Triples are always (kk, ru, en).
"""
from __future__ import annotations

from typing import NamedTuple

Text = tuple[str, str, str]  # kk, ru, en

# Topics every akimat (regional, city, district) is competent for.
LOCAL_TOPICS = (
    "housing", "housing.queue", "housing.utilities", "housing.emergency",
    "land", "land.allocation", "land.disputes",
    "construction", "transport",
    "social", "social.benefits", "social.disability", "employment",
    "education", "health", "ecology", "agriculture", "other",
)


class Ministry(NamedTuple):
    code: str
    name: Text
    minister: Text          # the head's position
    address: Text
    phone: str
    topics: tuple[str, ...]
    head: str               # fictional full name


class Akimat(NamedTuple):
    """A regional or city akimat; kk and en names come from the region, the address from its centre."""

    region: str             # ISO 3166-2 code
    name_ru: str            # Russian needs the genitive, which the region row does not hold
    street: Text
    house: str
    phone: str
    studio_phone: str
    studio_floor: str
    head: str


class District(NamedTuple):
    code: str
    region: str             # the parent is this region's (or city's) akimat
    name: Text
    address: Text
    phone: str
    head: str


class Deputy(NamedTuple):
    body: str               # body code
    full_name: str
    position: Text


class Account(NamedTuple):
    role: str               # reception.core.permissions.Role value
    email: str
    full_name: str
    language: str
    body: str | None        # body code for staff bound to a body


# --- The Presidential Administration's reception office ---------------------------

PA_RECEPTION = {
    "code": "pa-reception",
    "name": ("Қазақстан Республикасы Президенті Әкімшілігінің қабылдау бөлмесі",
             "Приёмная Администрации Президента Республики Казахстан",
             "Reception Office of the Presidential Administration of the Republic of Kazakhstan"),
    "address": ("Астана қ., Мәңгілік Ел даңғылы, 6",
                "г. Астана, пр. Мангилик Ел, 6",
                "6 Mangilik El Ave, Astana"),
    "phone": "+7 7172 74 50 50",
    "head": "Әбдіғаппаров Мұрат Серікұлы",
    "head_position": ("Қазақстан Республикасы Президенті Әкімшілігі қабылдау бөлмесінің меңгерушісі",
                      "Заведующий Приёмной Администрации Президента Республики Казахстан",
                      "Head of the Reception Office of the Presidential Administration of the Republic of Kazakhstan"),
}

# --- Ministries (Astana) ------------------------------------------------------------

_HOUSE_OF_MINISTRIES = ("Астана қ., Мәңгілік Ел даңғылы, 8, Министрліктер үйі",
                        "г. Астана, пр. Мангилик Ел, 8, Дом министерств",
                        "House of Ministries, 8 Mangilik El Ave, Astana")
_KABANBAY_32 = ("Астана қ., Қабанбай батыр даңғылы, 32/1",
                "г. Астана, пр. Кабанбай батыра, 32/1",
                "32/1 Kabanbay Batyr Ave, Astana")

MINISTRIES: list[Ministry] = [
    Ministry(
        "min-labour",
        ("Қазақстан Республикасы Еңбек және халықты әлеуметтік қорғау министрлігі",
         "Министерство труда и социальной защиты населения Республики Казахстан",
         "Ministry of Labour and Social Protection of the Population of the Republic of Kazakhstan"),
        ("Қазақстан Республикасының Еңбек және халықты әлеуметтік қорғау министрі",
         "Министр труда и социальной защиты населения Республики Казахстан",
         "Minister of Labour and Social Protection of the Population of the Republic of Kazakhstan"),
        _HOUSE_OF_MINISTRIES, "+7 7172 74 36 01",
        ("social", "social.benefits", "social.disability", "employment"),
        "Оразбаева Гүлнар Сәкенқызы"),
    Ministry(
        "min-health",
        ("Қазақстан Республикасы Денсаулық сақтау министрлігі",
         "Министерство здравоохранения Республики Казахстан",
         "Ministry of Healthcare of the Republic of Kazakhstan"),
        ("Қазақстан Республикасының Денсаулық сақтау министрі",
         "Министр здравоохранения Республики Казахстан",
         "Minister of Healthcare of the Republic of Kazakhstan"),
        _HOUSE_OF_MINISTRIES, "+7 7172 74 32 43",
        ("health",),
        "Тұрсынбеков Ерғали Маратұлы"),
    Ministry(
        "min-education",
        ("Қазақстан Республикасы Оқу-ағарту министрлігі",
         "Министерство просвещения Республики Казахстан",
         "Ministry of Education of the Republic of Kazakhstan"),
        ("Қазақстан Республикасының Оқу-ағарту министрі",
         "Министр просвещения Республики Казахстан",
         "Minister of Education of the Republic of Kazakhstan"),
        _HOUSE_OF_MINISTRIES, "+7 7172 74 24 28",
        ("education",),
        "Құдайбергенова Сәуле Жандосқызы"),
    Ministry(
        "min-science",
        ("Қазақстан Республикасы Ғылым және жоғары білім министрлігі",
         "Министерство науки и высшего образования Республики Казахстан",
         "Ministry of Science and Higher Education of the Republic of Kazakhstan"),
        ("Қазақстан Республикасының Ғылым және жоғары білім министрі",
         "Министр науки и высшего образования Республики Казахстан",
         "Minister of Science and Higher Education of the Republic of Kazakhstan"),
        _HOUSE_OF_MINISTRIES, "+7 7172 74 17 64",
        ("education",),
        "Байділдаев Әділет Қайратұлы"),
    Ministry(
        "min-internal",
        ("Қазақстан Республикасы Ішкі істер министрлігі",
         "Министерство внутренних дел Республики Казахстан",
         "Ministry of Internal Affairs of the Republic of Kazakhstan"),
        ("Қазақстан Республикасының Ішкі істер министрі",
         "Министр внутренних дел Республики Казахстан",
         "Minister of Internal Affairs of the Republic of Kazakhstan"),
        ("Астана қ., Тәуелсіздік даңғылы, 1", "г. Астана, пр. Тауелсиздик, 1", "1 Tauelsizdik Ave, Astana"),
        "+7 7172 72 24 02",
        ("law",),
        "Қалиев Асқар Бекболатұлы"),
    Ministry(
        "min-justice",
        ("Қазақстан Республикасы Әділет министрлігі",
         "Министерство юстиции Республики Казахстан",
         "Ministry of Justice of the Republic of Kazakhstan"),
        ("Қазақстан Республикасының Әділет министрі",
         "Министр юстиции Республики Казахстан",
         "Minister of Justice of the Republic of Kazakhstan"),
        _HOUSE_OF_MINISTRIES, "+7 7172 74 07 88",
        ("law", "courts"),
        "Серікбаева Динара Өмірзаққызы"),
    Ministry(
        "min-agriculture",
        ("Қазақстан Республикасы Ауыл шаруашылығы министрлігі",
         "Министерство сельского хозяйства Республики Казахстан",
         "Ministry of Agriculture of the Republic of Kazakhstan"),
        ("Қазақстан Республикасының Ауыл шаруашылығы министрі",
         "Министр сельского хозяйства Республики Казахстан",
         "Minister of Agriculture of the Republic of Kazakhstan"),
        ("Астана қ., Кенесары көшесі, 36", "г. Астана, ул. Кенесары, 36", "36 Kenesary St, Astana"),
        "+7 7172 55 57 63",
        ("agriculture", "land", "land.allocation", "land.disputes"),
        "Жолдасбеков Ғалымжан Әбілұлы"),
    Ministry(
        "min-ecology",
        ("Қазақстан Республикасы Экология және табиғи ресурстар министрлігі",
         "Министерство экологии и природных ресурсов Республики Казахстан",
         "Ministry of Ecology and Natural Resources of the Republic of Kazakhstan"),
        ("Қазақстан Республикасының Экология және табиғи ресурстар министрі",
         "Министр экологии и природных ресурсов Республики Казахстан",
         "Minister of Ecology and Natural Resources of the Republic of Kazakhstan"),
        _HOUSE_OF_MINISTRIES, "+7 7172 74 08 48",
        ("ecology",),
        "Төлегенова Ләззат Ерболқызы"),
    Ministry(
        "min-industry",
        ("Қазақстан Республикасы Өнеркәсіп және құрылыс министрлігі",
         "Министерство промышленности и строительства Республики Казахстан",
         "Ministry of Industry and Construction of the Republic of Kazakhstan"),
        ("Қазақстан Республикасының Өнеркәсіп және құрылыс министрі",
         "Министр промышленности и строительства Республики Казахстан",
         "Minister of Industry and Construction of the Republic of Kazakhstan"),
        _KABANBAY_32, "+7 7172 98 34 12",
        ("construction", "housing", "housing.queue", "housing.emergency"),
        "Мырзахметов Дәурен Асанұлы"),
    Ministry(
        "min-transport",
        ("Қазақстан Республикасы Көлік министрлігі",
         "Министерство транспорта Республики Казахстан",
         "Ministry of Transport of the Republic of Kazakhstan"),
        ("Қазақстан Республикасының Көлік министрі",
         "Министр транспорта Республики Казахстан",
         "Minister of Transport of the Republic of Kazakhstan"),
        _KABANBAY_32, "+7 7172 98 35 50",
        ("transport",),
        "Әлімжанов Талғат Нұрланұлы"),
    Ministry(
        "min-energy",
        ("Қазақстан Республикасы Энергетика министрлігі",
         "Министерство энергетики Республики Казахстан",
         "Ministry of Energy of the Republic of Kazakhstan"),
        ("Қазақстан Республикасының Энергетика министрі",
         "Министр энергетики Республики Казахстан",
         "Minister of Energy of the Republic of Kazakhstan"),
        ("Астана қ., Қабанбай батыр даңғылы, 19", "г. Астана, пр. Кабанбай батыра, 19",
         "19 Kabanbay Batyr Ave, Astana"),
        "+7 7172 78 68 10",
        ("housing.utilities", "pricing"),
        "Сейітқалиев Ерболат Жанатұлы"),
    Ministry(
        "min-economy",
        ("Қазақстан Республикасы Ұлттық экономика министрлігі",
         "Министерство национальной экономики Республики Казахстан",
         "Ministry of National Economy of the Republic of Kazakhstan"),
        ("Қазақстан Республикасының Ұлттық экономика министрі",
         "Министр национальной экономики Республики Казахстан",
         "Minister of National Economy of the Republic of Kazakhstan"),
        _HOUSE_OF_MINISTRIES, "+7 7172 74 29 01",
        ("pricing", "housing.utilities"),
        "Ахметжанова Әсел Болатқызы"),
    Ministry(
        "min-digital",
        ("Қазақстан Республикасы Цифрлық даму, инновациялар және аэроғарыш өнеркәсібі министрлігі",
         "Министерство цифрового развития, инноваций и аэрокосмической промышленности Республики Казахстан",
         "Ministry of Digital Development, Innovations and Aerospace Industry of the Republic of Kazakhstan"),
        ("Қазақстан Республикасының Цифрлық даму, инновациялар және аэроғарыш өнеркәсібі министрі",
         "Министр цифрового развития, инноваций и аэрокосмической промышленности Республики Казахстан",
         "Minister of Digital Development, Innovations and Aerospace Industry of the Republic of Kazakhstan"),
        ("Астана қ., Мәңгілік Ел даңғылы, 55/5", "г. Астана, пр. Мангилик Ел, 55/5",
         "55/5 Mangilik El Ave, Astana"),
        "+7 7172 74 99 90",
        ("other",),
        "Иманғалиев Арман Сұлтанұлы"),
]

# --- The 20 first-level akimats: 17 regions and 3 cities of republican significance ----

AKIMATS: list[Akimat] = [
    Akimat("KZ-10", "Акимат области Абай",
           ("Абай Құнанбаев көшесі", "ул. Абая Кунанбаева", "Abai Kunanbayev St"), "1",
           "+7 7222 52 10 10", "+7 7222 52 10 45", "2", "Қожахметов Берік Ержанұлы"),
    Akimat("KZ-11", "Акимат Акмолинской области",
           ("Абай көшесі", "ул. Абая", "Abai St"), "83",
           "+7 7162 25 41 00", "+7 7162 25 41 30", "3", "Смағұлов Нұржан Асқарұлы"),
    Akimat("KZ-15", "Акимат Актюбинской области",
           ("Әбілқайыр хан даңғылы", "пр. Абилкайыр хана", "Abilkaiyr Khan Ave"), "40",
           "+7 7132 55 41 00", "+7 7132 55 41 20", "2", "Байжанов Ержан Серікұлы"),
    Akimat("KZ-19", "Акимат Алматинской области",
           ("Қонаев көшесі", "ул. Конаева", "Konayev St"), "38",
           "+7 72772 4 00 10", "+7 72772 4 00 35", "1", "Тоқтарова Жанар Әміржанқызы"),
    Akimat("KZ-23", "Акимат Атырауской области",
           ("Әйтеке би көшесі", "ул. Айтеке би", "Aiteke Bi St"), "77",
           "+7 7122 35 45 00", "+7 7122 35 45 17", "2", "Ізбасаров Бақытжан Оралұлы"),
    Akimat("KZ-27", "Акимат Западно-Казахстанской области",
           ("Достық даңғылы", "пр. Достык", "Dostyk Ave"), "201",
           "+7 7112 50 71 00", "+7 7112 50 71 22", "4", "Мұқанов Ғабит Дәулетұлы"),
    Akimat("KZ-31", "Акимат Жамбылской области",
           ("Төле би көшесі", "ул. Толе би", "Tole Bi St"), "35",
           "+7 7262 43 53 00", "+7 7262 43 53 19", "2", "Әбілқасымов Рүстем Ермекұлы"),
    Akimat("KZ-33", "Акимат области Жетісу",
           ("Тәуелсіздік көшесі", "ул. Тауелсиздик", "Tauelsizdik St"), "38",
           "+7 7282 24 08 00", "+7 7282 24 08 41", "1", "Сыздықова Мәдина Қанатқызы"),
    Akimat("KZ-35", "Акимат Карагандинской области",
           ("Бұқар жырау даңғылы", "пр. Бухар-Жырау", "Bukhar Zhyrau Ave"), "47",
           "+7 7212 56 36 00", "+7 7212 56 36 28", "3", "Жүнісов Қайрат Мейрамұлы"),
    Akimat("KZ-39", "Акимат Костанайской области",
           ("Әл-Фараби даңғылы", "пр. Аль-Фараби", "Al-Farabi Ave"), "66",
           "+7 7142 57 55 00", "+7 7142 57 55 14", "2", "Бекмұхамбетов Алмас Жомартұлы"),
    Akimat("KZ-43", "Акимат Кызылординской области",
           ("Желтоқсан көшесі", "ул. Желтоксан", "Zheltoksan St"), "1",
           "+7 7242 60 50 00", "+7 7242 60 50 26", "2", "Өтепов Самат Бақытұлы"),
    Akimat("KZ-47", "Акимат Мангистауской области",
           ("14-шағын аудан", "14-й микрорайон", "Microdistrict 14"), "1",
           "+7 7292 30 02 00", "+7 7292 30 02 33", "1", "Құрманғалиев Айдос Темірұлы"),
    Akimat("KZ-55", "Акимат Павлодарской области",
           ("Академик Сәтбаев көшесі", "ул. Академика Сатпаева", "Academician Satpayev St"), "49",
           "+7 7182 32 31 00", "+7 7182 32 31 48", "3", "Шәріпов Данияр Ерланұлы"),
    Akimat("KZ-59", "Акимат Северо-Казахстанской области",
           ("Қазақстан Конституциясы көшесі", "ул. Конституции Казахстана", "Constitution of Kazakhstan St"),
           "58", "+7 7152 46 12 00", "+7 7152 46 12 36", "2", "Әуезханова Гүлмира Серікқызы"),
    Akimat("KZ-61", "Акимат Туркестанской области",
           ("Жібек жолы көшесі", "ул. Жибек жолы", "Zhibek Zholy St"), "1",
           "+7 72533 5 10 10", "+7 72533 5 10 42", "1", "Оспанов Мақсат Ғаниұлы"),
    Akimat("KZ-62", "Акимат области Ұлытау",
           ("Алашахан даңғылы", "пр. Алашахана", "Alashakhan Ave"), "1",
           "+7 7102 73 10 10", "+7 7102 73 10 27", "2", "Сүлейменов Ербол Қуанышұлы"),
    Akimat("KZ-63", "Акимат Восточно-Казахстанской области",
           ("Горький көшесі", "ул. Горького", "Gorky St"), "40",
           "+7 7232 24 20 00", "+7 7232 24 20 39", "3", "Рахымжанов Тимур Болатұлы"),
    Akimat("KZ-71", "Акимат города Астаны",
           ("Бейбітшілік көшесі", "ул. Бейбитшилик", "Beibitshilik St"), "11",
           "+7 7172 55 64 00", "+7 7172 55 64 21", "2", "Дүйсенбаев Азамат Нұрланұлы"),
    Akimat("KZ-75", "Акимат города Алматы",
           ("Республика алаңы", "пл. Республики", "Republic Square"), "4",
           "+7 727 271 66 00", "+7 727 271 66 45", "1", "Исабекова Әйгерім Талғатқызы"),
    Akimat("KZ-79", "Акимат города Шымкента",
           ("Тәуке хан даңғылы", "пр. Тауке хана", "Tauke Khan Ave"), "5",
           "+7 7252 54 10 10", "+7 7252 54 10 38", "2", "Төребеков Жасұлан Мұратұлы"),
]

# --- District akimats (a few per region, for drilling down) ------------------------------

DISTRICTS: list[District] = [
    District("akimat-kz-15-alga", "KZ-15",
             ("Алға ауданының әкімдігі", "Акимат Алгинского района", "Akimat of Alga District"),
             ("Алға қ., Қонаев көшесі, 12", "г. Алга, ул. Конаева, 12", "12 Konayev St, Alga"),
             "+7 71337 3 12 00", "Ерғалиев Бауыржан Қасымұлы"),
    District("akimat-kz-15-khromtau", "KZ-15",
             ("Хромтау ауданының әкімдігі", "Акимат Хромтауского района", "Akimat of Khromtau District"),
             ("Хромтау қ., Абай даңғылы, 20", "г. Хромтау, пр. Абая, 20", "20 Abai Ave, Khromtau"),
             "+7 71336 2 14 00", "Қанатов Ернар Сапарұлы"),
    District("akimat-kz-15-mugalzhar", "KZ-15",
             ("Мұғалжар ауданының әкімдігі", "Акимат Мугалжарского района", "Akimat of Mugalzhar District"),
             ("Қандыағаш қ., Жамбыл көшесі, 5", "г. Кандыагаш, ул. Жамбыла, 5", "5 Zhambyl St, Kandyagash"),
             "+7 71333 3 30 00", "Тәжібаев Олжас Маратұлы"),
    District("akimat-kz-35-bukhar-zhyrau", "KZ-35",
             ("Бұқар жырау ауданының әкімдігі", "Акимат Бухар-Жырауского района",
              "Akimat of Bukhar-Zhyrau District"),
             ("Ботақара кенті, Абай көшесі, 18", "пос. Ботакара, ул. Абая, 18", "18 Abai St, Botakara"),
             "+7 72154 2 11 00", "Нұрпейісов Серік Әділұлы"),
    District("akimat-kz-35-osakarovka", "KZ-35",
             ("Осакаров ауданының әкімдігі", "Акимат Осакаровского района", "Akimat of Osakarovka District"),
             ("Осакаровка кенті, Пристанционная көшесі, 16", "пос. Осакаровка, ул. Пристанционная, 16",
              "16 Pristantsionnaya St, Osakarovka"),
             "+7 72149 4 12 00", "Жанғабылов Ілияс Бекұлы"),
    District("akimat-kz-61-sairam", "KZ-61",
             ("Сайрам ауданының әкімдігі", "Акимат Сайрамского района", "Akimat of Sairam District"),
             ("Ақсукент ауылы, Абылай хан көшесі, 1", "с. Аксукент, ул. Абылай хана, 1",
              "1 Abylai Khan St, Aksukent"),
             "+7 72531 2 10 00", "Қасымов Фархад Әнуарұлы"),
    District("akimat-kz-61-tole-bi", "KZ-61",
             ("Төле би ауданының әкімдігі", "Акимат Толебийского района", "Akimat of Tole Bi District"),
             ("Ленгер қ., Төле би көшесі, 30", "г. Ленгер, ул. Толе би, 30", "30 Tole Bi St, Lenger"),
             "+7 72547 6 11 00", "Бектұрғанов Ержігіт Сәбитұлы"),
    District("akimat-kz-71-yesil", "KZ-71",
             ("Астана қаласы Есіл ауданының әкімдігі", "Акимат района Есиль города Астаны",
              "Akimat of Yesil District of Astana"),
             ("Астана қ., Сығанақ көшесі, 10", "г. Астана, ул. Сыганак, 10", "10 Syganak St, Astana"),
             "+7 7172 55 77 00", "Мамыров Ринат Жұмабайұлы"),
    District("akimat-kz-71-saryarka", "KZ-71",
             ("Астана қаласы Сарыарқа ауданының әкімдігі", "Акимат района Сарыарка города Астаны",
              "Akimat of Saryarka District of Astana"),
             ("Астана қ., Жеңіс даңғылы, 25", "г. Астана, пр. Женис, 25", "25 Zhenis Ave, Astana"),
             "+7 7172 55 78 00", "Ілиясова Ботагөз Асқарқызы"),
    District("akimat-kz-75-almaly", "KZ-75",
             ("Алматы қаласы Алмалы ауданының әкімдігі", "Акимат Алмалинского района города Алматы",
              "Akimat of Almaly District of Almaty"),
             ("Алматы қ., Төле би көшесі, 69", "г. Алматы, ул. Толе би, 69", "69 Tole Bi St, Almaty"),
             "+7 727 272 00 10", "Сейдахметова Жұлдыз Ерланқызы"),
    District("akimat-kz-75-bostandyk", "KZ-75",
             ("Алматы қаласы Бостандық ауданының әкімдігі", "Акимат Бостандыкского района города Алматы",
              "Akimat of Bostandyk District of Almaty"),
             ("Алматы қ., Байтұрсынұлы көшесі, 165", "г. Алматы, ул. Байтурсынулы, 165",
              "165 Baitursynuly St, Almaty"),
             "+7 727 246 80 00", "Абдрахманов Марат Оңалбайұлы"),
    District("akimat-kz-75-medeu", "KZ-75",
             ("Алматы қаласы Медеу ауданының әкімдігі", "Акимат Медеуского района города Алматы",
              "Akimat of Medeu District of Almaty"),
             ("Алматы қ., Қабанбай батыр көшесі, 116", "г. Алматы, ул. Кабанбай батыра, 116",
              "116 Kabanbay Batyr St, Almaty"),
             "+7 727 261 50 00", "Қайыржанов Дастан Әлібекұлы"),
]

# --- Deputies (some bodies only) -------------------------------------------------------

DEPUTIES: list[Deputy] = [
    Deputy("pa-reception", "Жақсылықова Айгүл Бақытқызы",
           ("Қазақстан Республикасы Президенті Әкімшілігі қабылдау бөлмесі меңгерушісінің орынбасары",
            "Заместитель заведующего Приёмной Администрации Президента Республики Казахстан",
            "Deputy Head of the Reception Office of the Presidential Administration of the Republic of Kazakhstan")),
    Deputy("min-labour", "Ермекова Айнұр Жанатқызы",
           ("Қазақстан Республикасының Еңбек және халықты әлеуметтік қорғау вице-министрі",
            "Вице-министр труда и социальной защиты населения Республики Казахстан",
            "Vice Minister of Labour and Social Protection of the Population of the Republic of Kazakhstan")),
    Deputy("min-health", "Жұмағұлов Ерлан Бекенұлы",
           ("Қазақстан Республикасының Денсаулық сақтау вице-министрі",
            "Вице-министр здравоохранения Республики Казахстан",
            "Vice Minister of Healthcare of the Republic of Kazakhstan")),
    Deputy("akimat-kz-15", "Тілеуов Санжар Ғалымұлы",
           ("Ақтөбе облысы әкімінің орынбасары", "Заместитель акима Актюбинской области",
            "Deputy Akim of Aktobe Region")),
    Deputy("akimat-kz-35", "Мақсұтова Салтанат Ерікқызы",
           ("Қарағанды облысы әкімінің орынбасары", "Заместитель акима Карагандинской области",
            "Deputy Akim of Karaganda Region")),
    Deputy("akimat-kz-75", "Әмірова Индира Серікқызы",
           ("Алматы қаласы әкімінің орынбасары", "Заместитель акима города Алматы", "Deputy Akim of Almaty")),
]

# --- The chamber of legal consultants (fictional) ------------------------------------------

LEGAL_CHAMBER = {
    "code": "legal-chamber",
    "region": "KZ-71",
    "name": ("«Әділ кеңес» заң консультанттарының республикалық палатасы",
             "Республиканская палата юридических консультантов «Әділ кеңес»",
             "Adil Kenes Republican Chamber of Legal Consultants"),
    "address": ("Астана қ., Сарайшық көшесі, 34", "г. Астана, ул. Сарайшык, 34", "34 Saraishyk St, Astana"),
    "phone": "+7 7172 57 20 34",
}

# --- Venues: one reception office per body (not the chamber), one studio per first-level akimat --

OFFICE_NAME: Text = ("Қабылдау бөлмесі", "Приёмная", "Reception office")
OFFICE_FLOOR = "1"
OFFICE_CAPACITY = 12
STUDIO_NAME: Text = ("Бейнестудия", "Видеостудия", "Video studio")
STUDIO_CAPACITY = 4

# --- Responsible persons of the reception offices (the talon names them: "Surname I. O.") ---------------

class Person(NamedTuple):
    surname: str
    first_name: str
    patronymic: str | None


RESPONSIBLE_POSITION: Text = ("Азаматтарды қабылдау бөлімінің басшысы", "Руководитель отдела по приёму граждан",
                              "Head of the Citizens' Reception Division")
# Named ones first: the Presidential reception office's, and Aktobe Region's (the demo assistant herself).
RESPONSIBLE: dict[str, Person] = {
    "pa-reception": Person("Бекова", "Сәуле", "Маратқызы"),
    "akimat-kz-15": Person("Мұратова", "Гүлжан", "Ерланқызы"),
}
# The other offices get one of these in turn (fictional people; one without a patronymic, as many have none).
RESPONSIBLE_POOL: list[Person] = [
    Person("Нұрланова", "Айжан", "Серікқызы"), Person("Қасымов", "Ерлан", "Бақытұлы"),
    Person("Омарова", "Динара", "Ғалымқызы"), Person("Сәрсенбаев", "Әділ", "Қайратұлы"),
    Person("Жұмабаева", "Ләззат", None), Person("Ибраев", "Мирас", "Төлегенұлы"),
    Person("Ким", "Елена", "Викторовна"), Person("Әбенов", "Ұлан", "Асқарұлы"),
    Person("Исмаилова", "Гүлназ", "Ержанқызы"), Person("Тоқтаров", "Ілияс", "Нұрланұлы"),
]

# --- Demo accounts: one per role (and an assistant of the Presidential reception office) ----------

AKTOBE_AKIMAT = "akimat-kz-15"

ACCOUNTS: list[Account] = [
    Account("citizen", "citizen@demo.kz", "Сейітов Дархан Маратұлы", "ru", None),
    # The official is the akim of Aktobe Region: the account is linked to that Official row.
    Account("official", "official@demo.kz", "Байжанов Ержан Серікұлы", "kk", AKTOBE_AKIMAT),
    Account("assistant", "assistant@demo.kz", "Мұратова Гүлжан Ерланқызы", "ru", AKTOBE_AKIMAT),
    # Screens the requests to the Presidential reception office (request mode): its queue has some waiting.
    Account("assistant", "pa-assistant@demo.kz", "Тұрсынова Әлия Нұрланқызы", "kk", PA_RECEPTION["code"]),
    Account("agency_rep", "agency@demo.kz", "Қасенов Нұрбол Айдарұлы", "kk", "akimat-kz-15-alga"),
    Account("legal_consultant", "lawyer@demo.kz", "Ахметова Жанна Маратқызы", "ru", LEGAL_CHAMBER["code"]),
    Account("studio_operator", "studio@demo.kz", "Омаров Ерлан Бақытұлы", "kk", AKTOBE_AKIMAT),
    Account("monitor", "monitor@demo.kz", "Сұлтанова Динара Асқарқызы", "ru", None),
    Account("admin", "admin@demo.kz", "Жанұзақов Тимур Русланұлы", "kk", None),
]

# The citizen: a synthetic IIN with a valid check digit (born 1985-01-01, a man of the 20th century).
CITIZEN = {"iin": "850101300015", "phone": "+77011234567", "region": "KZ-15"}

# --- Applicants: citizens (no demo login) whose requests and bookings give the staff work -----------------

APPLICANT_DOMAIN = "applicants.demo.kz"


class Applicant(NamedTuple):
    key: str                # the e-mail's local part
    full_name: str
    born: str               # YYMMDD (20th century)
    male: bool
    region: str
    phone: str
    language: str


APPLICANTS: list[Applicant] = [
    Applicant("asel.nurmagambetova", "Нұрмағамбетова Әсел Болатқызы", "880412", False, "KZ-15", "+77015550101", "kk"),
    Applicant("timur.zhaksybekov", "Жақсыбеков Тимур Ерболұлы", "790923", True, "KZ-15", "+77015550102", "ru"),
    Applicant("olga.petrenko", "Петренко Ольга Николаевна", "650207", False, "KZ-15", "+77015550103", "ru"),
    Applicant("nurlan.seitkali", "Сейітқали Нұрлан Қуанышұлы", "920615", True, "KZ-35", "+77015550104", "kk"),
    Applicant("gaukhar.amanova", "Аманова Гауһар Маратқызы", "830130", False, "KZ-75", "+77015550105", "ru"),
]


class PaRequest(NamedTuple):
    applicant: str          # Applicant.key
    topic: str
    summary: str
    days_ago: int           # when it was sent
    urgency: tuple[str, str] | None = None  # (reason, note) when the citizen marked it urgent


# Requests to the Presidential reception office waiting for screening (days_ago: when each was sent).
PA_REQUESTS: list[PaRequest] = [
    # The first is urgent (a child's operation that cannot wait): the newest, yet first in the queue.
    PaRequest("asel.nurmagambetova", "health",
              "Сыныма (8 жас) Астанада операция қажет, квота бойынша кезек наурызға берілді, ал дәрігерлер "
              "операцияны бір айдан кешіктіруге болмайды дейді. Облыстық денсаулық сақтау басқармасы жауап бермейді.",
              0, ("child", "Операцияны бір айдан кешіктіруге болмайды.")),
    PaRequest("nurlan.seitkali", "land",
              "Ауылдағы жер учаскемді аудан әкімдігі басқа адамға берді, сот шешімі орындалмай жатыр. "
              "Облыс әкімінің қабылдауында болдым, нәтиже жоқ.", 1),
    PaRequest("gaukhar.amanova", "housing",
              "Дольщики жилого комплекса в Алатауском районе: дом не сдан третий год, застройщик не отвечает, "
              "акимат города направляет в суд. Прошу принять представителя инициативной группы.", 2),
]


class StudioBooking(NamedTuple):
    applicant: str          # Applicant.key (a citizen of Aktobe Region: the studio is in its akimat)
    ministry: str           # the minister receives by video from Astana
    day: int                # 0: today; n: the n-th working day after today
    start: str              # local time in the capital, "HH:MM"
    summary: str


# Video receptions from the Aktobe akimat's studio: the studio operator's week.
STUDIO_BOOKINGS: list[StudioBooking] = [
    StudioBooking("timur.zhaksybekov", "min-labour", 0, "11:00",
                  "Отказ в назначении пособия по инвалидности после переосвидетельствования; "
                  "обжаловал в департаменте, ответа нет."),
    StudioBooking("olga.petrenko", "min-health", 1, "11:00",
                  "Мать не может получить бесплатные лекарства по диабету в поликлинике Актобе третий месяц."),
    StudioBooking("asel.nurmagambetova", "min-education", 3, "11:30",
                  "Мектепке жақын жерде орын жоқ: балам күнде қалааралық автобуспен 40 шақырым жүреді."),
]
