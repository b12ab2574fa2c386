"""Demo data: the standard guardian consent text in the six languages, machine-assisted (not yet reviewed).

Only the English text is binding; these let a demo guardian see the consent page in their own language.
"""

from __future__ import annotations

from collections.abc import Iterable

from .models import Program, Requirement, RequirementTextTranslation, TranslationStatus
from .services import CONSENT_TEXT

CONSENT_TRANSLATIONS = {
    "es": (
        "Soy el padre, la madre o el tutor legal de este alumno. He leído lo que hará en este programa, las "
        "reglas de la clínica y el límite de horas, y acepto que participe y observe en la clínica. Puedo retirar "
        "este consentimiento en cualquier momento; en ese caso, se cancelarán sus próximas visitas a la clínica."
    ),
    "vi": (
        "Tôi là cha, mẹ hoặc người giám hộ hợp pháp của học viên này. Tôi đã đọc những gì em sẽ làm trong "
        "chương trình này, các quy định của phòng khám và giới hạn số giờ, và tôi đồng ý cho em tham gia và quan "
        "sát tại phòng khám. Tôi có thể rút lại sự đồng ý này bất cứ lúc nào; khi đó các buổi đến phòng khám sắp "
        "tới của em sẽ bị hủy."
    ),
    "so": (
        "Waxaan ahay waalidka ama mas'uulka sharciga ah ee ardaygan. Waxaan akhriyay waxa uu ku samayn doono "
        "barnaamijkan, xeerarka rugta caafimaadka iyo xadka saacadaha, waxaanan ogolahay inuu ka qayb qaato oo uu "
        "daawasho ku sameeyo rugta caafimaadka. Waxaan ka noqon karaa ogolaanshahan wakhti kasta; markaas "
        "booqashooyinkiisa soo socda ee rugta caafimaadka waa la joojin doonaa."
    ),
    "zh-hans": (
        "我是该学员的父母或法定监护人。我已阅读其在本项目中将要做的事情、诊所规定和时长上限，我同意其参加并在诊所"
        "见习。我可以随时撤回此同意；届时其今后的诊所见习将被取消。"
    ),
    "ru": (
        "Я родитель или законный опекун этого учащегося. Я прочитал(а), чем он будет заниматься в этой "
        "программе, правила клиники и ограничение по часам, и я согласен (согласна), чтобы он участвовал в "
        "программе и наблюдал за работой в клинике. Я могу отозвать это согласие в любое время; тогда его "
        "будущие визиты в клинику будут отменены."
    ),
    "fa": (
        "من پدر، مادر یا سرپرست قانونی این شاگرد هستم. من خوانده‌ام که او در این برنامه چه کار خواهد کرد، "
        "مقررات کلینیک و حد ساعت‌ها را، و موافقم که او اشتراک کند و در کلینیک نظاره کند. من می‌توانم این "
        "موافقه را هر وقت پس بگیرم؛ در آن صورت، مراجعه‌های آیندهٔ او به کلینیک لغو می‌شود."
    ),
}


def seed_consent_translations(programs: Iterable[Program]) -> int:
    """Add the six translations to each program's standard consent text (idempotent); returns how many were new."""
    english = str(CONSENT_TEXT)
    created = 0
    requirements = Requirement.objects.filter(
        program__in=list(programs), kind=Requirement.Kind.GUARDIAN_CONSENT, text=english
    )
    for requirement in requirements:
        for language, text in CONSENT_TRANSLATIONS.items():
            _translation, new = RequirementTextTranslation.objects.get_or_create(
                requirement=requirement,
                version=requirement.version,
                language=language,
                defaults={"text": text, "status": TranslationStatus.MACHINE},
            )
            created += new
    return created
