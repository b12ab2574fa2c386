"""Screen free text from the public patient-feedback form for anything that could identify a person.

A comment is refused (never stored) when it holds a name introduced as one ("I am …", "my son …", "patient …"),
a record, chart or ID number, a phone number (any separator, or spelled out in words), an e-mail address (also
written out: "at gmail dot com"), a street address, a room or bed number, or a date (of birth). It errs on the
side of refusing: a patient can always rephrase, while a stored identifier cannot be taken back.

Works on the languages patients of this society write in: English, Spanish, Vietnamese, Somali, Chinese,
Russian and Dari. Test corpus and measured precision/recall: ``tests/feedback_corpus.py``.
"""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext_lazy as _

# --- Normalising digits ----------------------------------------------------------------------------------

# Number words that people use to dictate a phone number, per language (each maps to one digit).
_DIGIT_WORDS: dict[str, str] = {}
for _digit, _words in {
    "0": "zero oh cero không eber ноль нуль صفر",
    "1": "one uno una một kow hal один одна یک",
    "2": "two dos hai laba два две دو",
    "3": "three tres ba saddex три سه",
    "4": "four cuatro bốn tư afar четыре چهار",
    "5": "five cinco năm lăm shan пять پنج",
    "6": "six seis sáu lix шесть شش",
    "7": "seven siete bảy toddoba семь هفت",
    "8": "eight ocho tám siddeed восемь هشت",
    "9": "nine nueve chín sagaal девять نه",
}.items():
    for _word in _words.split():
        _DIGIT_WORDS[_word] = _digit
_DIGIT_WORD_RE = re.compile(
    r"(?<!\w)(" + "|".join(sorted(map(re.escape, _DIGIT_WORDS), key=len, reverse=True)) + r")(?!\w)", re.I
)
_CHINESE_DIGITS = str.maketrans("零〇一幺二两三四五六七八九", "0011223456789")


def _ascii_digits(text: str) -> str:
    """NFKC, then every Unicode decimal digit (Persian ۳, Arabic ٣, full-width ３) as an ASCII digit."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)


def _spoken_digits(text: str) -> str:
    """Digits also where they were written as words ("five five five" → "5 5 5", "一三八" → "138")."""
    text = _DIGIT_WORD_RE.sub(lambda m: _DIGIT_WORDS[m.group(1).lower()], text)
    return text.translate(_CHINESE_DIGITS)


_SEP = r"[\s\-_/\\.,:;()+*#~|'\"=]*"
_DIGIT_RUN = re.compile(rf"\d(?:{_SEP}\d)*")


def _longest_run(text: str) -> int:
    """Digits in the longest run of digits separated only by spaces or punctuation."""
    return max((sum(ch.isdigit() for ch in m.group()) for m in _DIGIT_RUN.finditer(text)), default=0)


# --- Keywords --------------------------------------------------------------------------------------------


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _words(*alternatives: str) -> str:
    """A regex alternation of whole words, longest first; Chinese words match anywhere (no spaces there)."""

    def bounded(word: str) -> str:
        if re.search(r"[\u4e00-\u9fff]", word):
            return re.escape(word)
        return rf"(?<!\w){re.escape(word)}(?!\w)"

    return "|".join(bounded(a) for a in sorted(alternatives, key=len, reverse=True))


_ID_WORDS = _words(
    "id", "i.d", "mrn", "chart", "record", "file", "account", "case", "member", "policy", "number",
    "ssn", "social security", "insurance", "medicaid", "medicare", "expediente", "historia",
    "número", "numero", "núm", "num", "folio", "cédula", "số", "mã", "hồ sơ", "lambar", "lambarka",
    "nambar", "номер", "карта", "карты", "полис", "№", "号", "编号", "号码", "病历", "档案", "شماره", "پرونده",
    "نمبر",
)  # fmt: skip
_ROOM_WORDS = _words(
    "room", "rm", "bed", "ward", "bay", "floor", "unit", "apt", "apartment", "suite", "ste", "habitación",
    "habitacion", "cuarto", "cama", "sala", "piso", "depto", "departamento", "phòng", "giường", "tầng",
    "qolka", "qolkii", "sariir", "sariirta", "dabaqa", "палата", "палате", "палаты", "комната", "комнате",
    "койка", "койке", "кровать", "этаж", "кв", "квартира", "房", "房间", "病房", "床", "楼", "室", "اتاق",
    "تخت", "بستر", "طبقه",
)  # fmt: skip
# Words that follow a house number ("1200 Pine Street") ...
_STREET_AFTER = _words(
    "street", "st", "avenue", "ave", "road", "rd", "boulevard", "blvd", "lane", "ln", "drive", "highway",
    "hwy", "parkway", "pkwy", "terrace", "calle", "avenida", "đường", "phố", "улица", "ул", "проспект",
    "路", "街", "巷", "号楼", "小区", "خیابان", "کوچه", "سرک", "waddada", "jidka",
)  # fmt: skip
# ... and words that come before it ("calle 5", "улица Ленина, дом 4", "中山路123号").
_STREET_BEFORE = _words(
    "po box", "p.o. box", "calle", "avenida", "av", "carrera", "camino", "đường", "phố", "hẻm", "ngõ",
    "số nhà", "waddada", "jidka", "улица", "ул", "проспект", "переулок", "дом", "路", "街", "巷",
    "خیابان", "کوچه", "سرک", "جاده", "ناحیه",
)  # fmt: skip
_PHONE_WORDS = _words(
    "phone", "cell", "mobile", "call me", "text me", "whatsapp", "tel", "teléfono", "telefono", "celular",
    "llámame", "llamame", "điện thoại", "sđt", "zalo", "taleefan", "telefoon", "ii soo wac",
    "телефон", "тел", "позвоните", "звоните", "电话", "手机", "微信", "تلفون", "تیلفون", "موبایل",
    "شماره تماس",
)  # fmt: skip
_BIRTH_WORDS = _words(
    "dob", "d.o.b", "date of birth", "birth date", "birthdate", "birthday", "born", "fecha de nacimiento",
    "nacimiento", "nací", "naci", "nació", "cumpleaños", "ngày sinh", "sinh ngày", "sinh năm", "sinh nhật",
    "dhalasho", "dhashay", "taariikhda dhalashada", "дата рождения", "родился", "родилась",
    "день рождения", "г.р", "出生", "生日", "出生日期", "تولد", "تاریخ تولد", "زاده",
)  # fmt: skip
_MONTHS = _words(
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov",
    "dec", "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
    "setiembre", "octubre", "noviembre", "diciembre", "janaayo", "febraayo", "maarso", "abriil",
    "luulyo", "agoosto", "sebtembar", "oktoobar", "nofembar", "desembar", "января", "февраля", "марта",
    "апреля", "мая", "июня", "июля", "августа", "сентября", "октября", "ноября", "декабря", "حمل", "ثور",
    "جوزا", "سرطان", "اسد", "سنبله", "میزان", "عقرب", "قوس", "جدی", "دلو", "حوت",
)  # fmt: skip

_EMAIL_PROVIDERS = (
    r"gmail|g\s*mail|yahoo|hotmail|outlook|icloud|aol|proton\s*mail|protonmail|live\.com|msn|yandex|"
    r"mail\.ru|qq\s*(?:\.|dot|点)\s*com|163\s*(?:\.|dot|点)\s*com|126\s*(?:\.|dot|点)\s*com|comcast"
)
_AT = r"(?:@|＠|\(at\)|\[at\]|\bat\b|\barroba\b|a\s*còng|\bsoo\b|собака|собачка|\bэт\b|艾特|在|ات)"
_DOT = r"(?:\.|\(dot\)|\[dot\]|\bdot\b|\bpunto\b|chấm|\bdhibic\b|точка|点|نقطه|دات)"
_DOT_WORD = r"(?:\(dot\)|\[dot\]|\bdot\b|\bpunto\b|chấm|\bdhibic\b|точка|点|نقطه|دات)"
_ROOM_THEN_NUMBER = re.compile(
    rf"(?:{_ROOM_WORDS})\.?\s*(?:#|no\.?|{_ID_WORDS})?\s*(?:\d|(?-i:[A-Z])\b)", re.I
)
_TLD = r"(?:com|net|org|edu|gov|us|es|mx|vn|so|ru|cn|af|io|co|info|biz|me|uk|ca)"

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    # Each match starts at the beginning of a run of name characters (the lookbehind), so a long run such
    # as "1-1-1-…" is tried once, not from every position: linear time on hostile input.
    ("email", re.compile(r"(?<![\w.+-])[\w.+-]+\s*(?:@|＠)\s*[\w-]+", re.I)),
    ("email", re.compile(rf"(?<![\w.+-])[\w.+-]+\s*{_AT}\s*[\w-]+\s*{_DOT}\s*{_TLD}\b", re.I)),
    ("email", re.compile(rf"\b(?:{_EMAIL_PROVIDERS})\b", re.I)),
    ("email", re.compile(rf"(?<![\w-])[\w-]+\.{_TLD}\b|(?<![\w-])[\w-]+\s*{_DOT_WORD}\s*{_TLD}\b", re.I)),
    ("ssn", re.compile(r"\b\d{3}[- .]\d{2}[- .]\d{4}\b")),
    ("date", re.compile(r"\b\d{1,4}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{1,4}\b")),
    ("date", re.compile(rf"(?:{_MONTHS})\.?\s*(?:de\s+)?\d{{1,2}}(?!\d)", re.I)),
    (
        "date",
        re.compile(rf"(?<!\d)\d{{1,2}}(?:st|nd|rd|th|er|ro|º)?\.?\s*(?:of\s+|de\s+)?(?:{_MONTHS})", re.I),
    ),
    ("date", re.compile(r"\d{1,4}\s*年\s*\d{1,2}\s*月|\d{1,2}\s*月\s*\d{1,2}\s*[日号號]")),
    ("date", re.compile(r"(?<!\w)ngày\s+\d{1,2}(?!\d)", re.I)),
    ("record_number", re.compile(r"\b(?:mrn|medical record|record number|chart number|patient id)\b", re.I)),
    ("record_number", re.compile(r"(?<![^\W\d_])[A-Za-z]{1,4}[-#]?\d{3,}")),
    (
        "record_number",
        re.compile(rf"(?:{_ID_WORDS})\.?\s*(?:[:#=]|is|es|là|waa|—|-)?\s*\w{{0,3}}\s*[-#]?\s*\d", re.I),
    ),
    ("record_number", re.compile(r"[#№]\s*\d|\bno\.\s*\d|\d+\s*[号號]", re.I)),
    ("address", _ROOM_THEN_NUMBER),
    ("address", re.compile(rf"\d+\s*(?:{_ROOM_WORDS})", re.I)),
    ("address", re.compile(rf"\d+[A-Za-z]?\s+(?:[\w'.-]+\s+){{0,3}}(?:{_STREET_AFTER})\.?", re.I)),
    ("address", re.compile(rf"(?:{_STREET_BEFORE})\.?\s*(?:[\w'.-]+\s+){{0,3}}\d", re.I)),
    ("date_of_birth", re.compile(rf"(?:{_BIRTH_WORDS})", re.I)),
]
# Checked on the text with spoken digits too: "room four", "call me at five five five …".
_ROOM_THEN_NUMBER_SPOKEN = _ROOM_THEN_NUMBER
_PHONE_CONTEXT = re.compile(rf"(?:{_PHONE_WORDS})\D{{0,20}}\d(?:[\s\-./]*\d){{2}}", re.I)

# --- Names -----------------------------------------------------------------------------------------------

# Phrases that introduce a name: whatever follows is taken for one.
_NAME_INTROS = re.compile(
    _words(
        "my name is",
        "my name's",
        "my name",
        "name is",
        "me llamo",
        "mi nombre es",
        "mi nombre",
        "tên tôi là",
        "tên của tôi là",
        "tôi tên là",
        "tôi tên",
        "magacaygu waa",
        "magacaygu",
        "magacayga",
        "magaciisu",
        "magaceedu",
        "меня зовут",
        "его зовут",
        "её зовут",
        "ее зовут",
        "моё имя",
        "мое имя",
        "我叫",
        "我的名字",
        "他叫",
        "她叫",
        "名叫",
        "儿子叫",
        "女儿叫",
        "孩子叫",
        "妈妈叫",
        "爸爸叫",
        "نام من",
        "اسم من",
        "اسمم",
        "نامم",
        "نام پسرم",
        "نام دخترم",
    ),  # fmt: skip
    re.I,
)
# Phrases after which a capitalised word (or a known first name) is taken for a name.
_NAME_CONTEXT = re.compile(
    r"(?<!\w)(?:"
    + _words(
        "i am",
        "i'm",
        "im",
        "this is",
        "it's",
        "named",
        "called",
        "patient",
        "the patient",
        "mr",
        "mrs",
        "ms",
        "miss",
        "mister",
        "sr",
        "sra",
        "srta",
        "señor",
        "señora",
        "señorita",
        "don",
        "doña",
        "soy",
        "yo soy",
        "se llama",
        "paciente",
        "el paciente",
        "la paciente",
        "tôi là",
        "bệnh nhân",
        "ông",
        "bà",
        "anh",
        "chị",
        "waxaan ahay",
        "aniga",
        "anigu",
        "bukaanka",
        "я",
        "пациент",
        "пациентка",
        "господин",
        "госпожа",
        "my son",
        "my daughter",
        "my wife",
        "my husband",
        "my mother",
        "my mom",
        "my mum",
        "my father",
        "my dad",
        "my child",
        "my kid",
        "my baby",
        "my boy",
        "my girl",
        "my grandson",
        "my granddaughter",
        "my grandmother",
        "my grandma",
        "my grandfather",
        "my grandpa",
        "my sister",
        "my brother",
        "my partner",
        "my friend",
        "my niece",
        "my nephew",
        "my aunt",
        "my uncle",
        "my neighbor",
        "my neighbour",
        "my cousin",
        "my fiancé",
        "my fiance",
        "mi hijo",
        "mi hija",
        "mi esposa",
        "mi esposo",
        "mi marido",
        "mi mujer",
        "mi madre",
        "mi padre",
        "mi mamá",
        "mi mama",
        "mi papá",
        "mi papa",
        "mi nieto",
        "mi nieta",
        "mi abuela",
        "mi abuelo",
        "mi hermana",
        "mi hermano",
        "mi bebé",
        "mi niño",
        "mi niña",
        "mi sobrino",
        "mi sobrina",
        "mi amiga",
        "mi amigo",
        "con trai tôi",
        "con gái tôi",
        "con tôi",
        "vợ tôi",
        "chồng tôi",
        "mẹ tôi",
        "bố tôi",
        "ba tôi",
        "má tôi",
        "cháu tôi",
        "em tôi",
        "anh tôi",
        "chị tôi",
        "bạn tôi",
        "wiilkayga",
        "wiilkeyga",
        "wiilkaygii",
        "gabadhayda",
        "gabadheyda",
        "inantayda",
        "xaaskayga",
        "xaaskeyga",
        "ninkayga",
        "hooyaday",
        "aabbahay",
        "aabahay",
        "ilmahayga",
        "walaashay",
        "walaalkay",
        "saaxiibkay",
        "мой сын",
        "моя дочь",
        "моя жена",
        "мой муж",
        "моя мама",
        "мой папа",
        "моя мать",
        "мой отец",
        "мой ребёнок",
        "мой ребенок",
        "моя бабушка",
        "мой дедушка",
        "мой брат",
        "моя сестра",
        "мой внук",
        "моя внучка",
        "мой друг",
        "моя подруга",
        "сын",
        "дочь",
        "пациентку",
        "пациента",
    )
    + r")(?!\w)[\s,.:\-—–]*(?:(?:is|es|là|waa|named|called|nombre|llamado|llamada)\s+)?",
    re.I,
)
# Chinese and Dari: no capital letters, so a family word or name intro followed by a likely name.
_ZH_NAME_CONTEXT = re.compile(
    r"(?:我是|我儿子|我女儿|我妻子|我太太|我老婆|我丈夫|我先生|我老公|我妈妈|我爸爸|我孩子|病人|患者|我母亲|我父亲)"
)
_ZH_SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾肖萧田董袁潘蒋蔡余杜叶程魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金廖贾夏韦付傅方邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤阮欧阿"
)
_FA_NAME_CONTEXT = re.compile(
    r"(?<!\w)(?:پسرم|دخترم|همسرم|خانمم|شوهرم|مادرم|پدرم|فرزندم|نواسه‌ام|نواسه ام|خواهرم|برادرم|بیمار|مریض|من)(?!\w)\s*"
)
# Dari words that may follow a family word without being a name.
_FA_COMMON = _wordset(
    "خیلی بسیار هم را که و از با در به بود است هست حالا امروز اول همیشه کمی نیز هیچ هم‌ خوش خوشحال راضی "
    "گفت گفتند دید شد بودند هستند می‌گفت نمی ترسید ترسیده کوچک بزرگ مریض بیمار داکتر دوکتور ناراحت آرام "
    "تشکر متشکر ممنون شاگرد محصل دانشجو همراه نیز هم‌چنین خیلی‌ها فکر احساس هنوز"
)
# Capitalised words that are not names (sentence starts, titles, places, greetings, languages).
_COMMON_CAPS = _wordset(
    """i a an the my me we our it its this that these they he she his her you your very so thank thanks
    thankyou yes no not great good nice kind student students doctor doctors dr dra nurse nurses clinic
    hospital medical family center centre health care team staff everything everyone nothing overall
    please god bless happy glad grateful thankful fine ok okay sorry honestly also but and or today
    monday tuesday wednesday thursday friday saturday sunday english spanish vietnamese somali chinese
    russian dari persian farsi arabic mandarin cantonese spanish-speaking harbor pediatrics america
    american united states seattle washington king county saint st mary mary's emergency room er
    việt nam mỹ hoa kỳ soomaaliya россия америка
    el la los las un una mi muy gracias doctora estudiante enfermera clínica todo bien sí no también pero
    y tôi bác sĩ sinh viên cảm ơn rất tốt không có và em anh chị ông bà
    waxaan aad dhakhtarka ardayga mahadsanid haa maya iyo
    я мне мы это доктор врач студент студентка спасибо очень всё все да нет и но хорошо"""
)
_FIRST_NAMES = _wordset(
    """maria mary jose juan carlos luis ana sofia sofía daniel david michael john james robert jennifer linda
    patricia elizabeth sarah jessica emily emma olivia liam noah ethan lucas mateo diego miguel jorge pedro
    rosa carmen lucia lucía elena gabriela fernando ricardo alejandro antonio manuel francisco javier
    nguyen minh lan huong tuan hung thanh linh trang mai hoa duc quang phuong thao ngoc
    mohamed mohammed mohamud ahmed abdi ali hassan hussein omar yusuf fatima faadumo amina halima hodan
    ayaan asha khadija ibrahim abdullahi abdirahman hawa sahra sagal
    wei li ming jing hui fang yan xiao jun lei tao hong
    ivan olga natalia natasha sergei sergey dmitri dmitry alexei alexey tatiana svetlana anna irina elena
    vladimir nikolai pavel yulia andrei
    ahmad mahmood mahmoud zahra maryam farid nasrin parwin parveen rahim karim hamid zainab shabnam"""
)
_DOCTOR_TITLES = {"dr", "dra", "doctor", "doctora", "doc", "sĩ", "доктор", "врач", "dhakhtar", "dhakhtarka"}
_WORD = re.compile(r"[^\W\d_][\w'’-]*")


def _looks_like_name(word: str) -> bool:
    bare = word.strip("'’-").lower()
    if not bare:
        return False
    if bare in _FIRST_NAMES:
        return True
    return word[0].isupper() and bare not in _COMMON_CAPS


def _has_name(text: str) -> bool:
    for match in _NAME_INTROS.finditer(text):
        if _WORD.search(text[match.end() : match.end() + 40]) or re.search(
            r"[\u4e00-\u9fff]", text[match.end() : match.end() + 3]
        ):
            return True
    for match in _NAME_CONTEXT.finditer(text):
        following = _WORD.match(text, match.end())
        if following and _looks_like_name(following.group()):
            return True
    for match in _ZH_NAME_CONTEXT.finditer(text):
        after = text[match.end() : match.end() + 1]
        if after and after in _ZH_SURNAMES:
            return True
    for match in _FA_NAME_CONTEXT.finditer(text):
        following = _WORD.match(text, match.end())
        if (
            following
            and re.match(r"[\u0600-\u06ff]", following.group())
            and following.group() not in _FA_COMMON
        ):
            # "من" (I) alone is far too common; only "I, <name>, …" style introductions count.
            if match.group().strip() == "من" and "هستم" not in text[match.end() : match.end() + 40]:
                continue
            return True
    # A first and last name side by side ("… and Daniel Ortiz was …", "Maria Garcia here").
    tokens = list(_WORD.finditer(text))
    for i in range(len(tokens) - 1):
        first, second = tokens[i], tokens[i + 1]
        if text[first.end() : second.start()] != " " or not (
            first.group()[0].isupper() and second.group()[0].isupper()
        ):
            continue
        gap = text[tokens[i - 1].end() : first.start()] if i else ""
        if i and tokens[i - 1].group().lower() in _DOCTOR_TITLES and not any(m in gap for m in ".!?\n"[1:]):
            continue
        if _looks_like_name(first.group()) and _looks_like_name(second.group()):
            return True
    return False


LABELS = {
    "name": _("a person's name"),
    "email": _("an e-mail address"),
    "ssn": _("a social security number"),
    "phone": _("a phone number"),
    "date": _("a date"),
    "date_of_birth": _("a date of birth"),
    "record_number": _("a record, chart or ID number"),
    "address": _("an address or a room or bed number"),
}

# Most digits a comment may hold in one run before it counts as a phone or record number.
PHONE_DIGITS = 7
RECORD_DIGITS = 5


def find_identifiers(text: str) -> list[str]:
    """Kinds of identifier found in ``text`` (keys of ``LABELS``), in a fixed order, each once."""
    if not text:
        return []
    plain = _ascii_digits(str(text))
    spoken = _spoken_digits(plain)
    found: list[str] = []

    def add(kind: str) -> None:
        if kind not in found:
            found.append(kind)

    if _has_name(plain):
        add("name")
    for kind, pattern in _PATTERNS:
        if pattern.search(plain):
            add(kind)
    if _longest_run(spoken) >= PHONE_DIGITS:
        add("phone")
    if _longest_run(plain) >= RECORD_DIGITS:
        add("record_number")
    # Room/bed numbers and phone numbers dictated in words ("room four", "call me at five five five …").
    if _ROOM_THEN_NUMBER_SPOKEN.search(spoken):
        add("address")
    if _PHONE_CONTEXT.search(spoken):
        add("phone")
    return found
