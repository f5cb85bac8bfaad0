"""Reference data: the 20 first-level units of Kazakhstan and the topic tree (idempotent loads)."""
from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import select

from ..extensions import db
from .models import Region, RegionKind, Topic

DATA = Path(__file__).parent / "data"

# (code, parent code, kk, ru, en)
TOPICS: list[tuple[str, str | None, str, str, str]] = [
    ("housing", None, "Тұрғын үй және коммуналдық шаруашылық", "Жилищно-коммунальное хозяйство",
     "Housing and utilities"),
    ("housing.queue", "housing", "Тұрғын үй кезегі", "Очередь на жильё", "Housing waiting list"),
    ("housing.utilities", "housing", "Коммуналдық қызметтер", "Коммунальные услуги", "Utility services"),
    ("housing.emergency", "housing", "Апатты тұрғын үй", "Аварийное жильё", "Dilapidated housing"),
    ("land", None, "Жер қатынастары", "Земельные отношения", "Land relations"),
    ("land.allocation", "land", "Жер учаскесін беру", "Предоставление земельных участков", "Allocation of land plots"),
    ("land.disputes", "land", "Жер даулары", "Земельные споры", "Land disputes"),
    ("construction", None, "Құрылыс", "Строительство", "Construction"),
    ("social", None, "Әлеуметтік қорғау", "Социальная защита", "Social protection"),
    ("social.benefits", "social", "Жәрдемақылар мен төлемдер", "Пособия и выплаты", "Benefits and payments"),
    ("social.disability", "social", "Мүгедектігі бар адамдар", "Лица с инвалидностью", "Persons with disabilities"),
    ("health", None, "Денсаулық сақтау", "Здравоохранение", "Healthcare"),
    ("education", None, "Білім беру", "Образование", "Education"),
    ("employment", None, "Жұмыспен қамту", "Занятость", "Employment"),
    ("pricing", None, "Баға белгілеу", "Ценообразование", "Pricing"),
    ("transport", None, "Көлік және жолдар", "Транспорт и дороги", "Transport and roads"),
    ("ecology", None, "Экология", "Экология", "Ecology"),
    ("agriculture", None, "Ауыл шаруашылығы", "Сельское хозяйство", "Agriculture"),
    ("law", None, "Құқық қорғау", "Правоохранительная деятельность", "Law enforcement"),
    ("courts", None, "Соттар", "Суды", "Courts"),
    ("other", None, "Басқа", "Другое", "Other"),
]


def load_regions() -> int:
    """Insert or update the regions from ``data/regions.csv``; returns how many there are."""
    existing = {r.code: r for r in db.session.scalars(select(Region))}
    with open(DATA / "regions.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        region = existing.get(row["iso_code"]) or Region(code=row["iso_code"])
        region.kind = RegionKind(row["kind"])
        for lang in ("kk", "ru", "en"):
            setattr(region, f"name_{lang}", row[f"name_{lang}"])
            setattr(region, f"centre_{lang}", row[f"centre_{lang}"])
        region.timezone = row["tz"]
        db.session.add(region)
    db.session.flush()
    return len(rows)


def load_topics() -> int:
    existing = {t.code: t for t in db.session.scalars(select(Topic))}
    for position, (code, parent, kk, ru, en) in enumerate(TOPICS):
        topic = existing.get(code) or Topic(code=code)
        topic.name_kk, topic.name_ru, topic.name_en = kk, ru, en
        topic.position = position
        topic.parent = existing[parent] if parent else None
        existing[code] = topic
        db.session.add(topic)
    db.session.flush()
    return len(TOPICS)


def load_reference_data() -> dict[str, int]:
    """Load regions and topics; safe to run any number of times."""
    return {"regions": load_regions(), "topics": load_topics()}
