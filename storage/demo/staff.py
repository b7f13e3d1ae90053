"""Demo staff: every role in every college, numbered so the well-known codes come first."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from storage.demo.data import FEMALE, MALE, College
from storage.demo.people import NameMaker, PersonSpec, phone
from storage.models import PersonKind, Role

STUDENTS_PER_COUNSELLOR = 60
SPECIAL_PER_MENTOR = 3
SPECIAL_SHARE = 0.2
DINGTALK_SHARE = 0.9
SCHOOL_ROLES = (
    Role.SCHOOL_ADMIN,
    Role.SCHOOL_ADMIN,
    Role.PSYCH_CENTER,
    Role.PSYCH_CENTER,
    Role.CAREER_GUIDANCE,
    Role.CAREER_GUIDANCE,
)


@dataclass
class CollegeStaff:
    """The student-affairs staff of one college and who covers which grade or class."""

    college: College
    admin: PersonSpec
    counsellors: list[PersonSpec]
    class_teachers: list[PersonSpec]
    mentors: list[PersonSpec]
    class_teacher_of: dict[str, PersonSpec] = field(default_factory=dict)

    def counsellor_for(self, *, grade: int, year: int) -> PersonSpec:
        return self.counsellors[(year - grade - 1) % len(self.counsellors)]

    def everyone(self) -> Iterator[PersonSpec]:
        yield self.admin
        yield from self.counsellors
        yield from self.class_teachers
        yield from (m for m in self.mentors if m not in self.class_teachers)


@dataclass
class Staff:
    colleges: dict[str, CollegeStaff]
    school: list[PersonSpec]
    people: list[PersonSpec] = field(default_factory=list)


@dataclass
class StaffMaker:
    rng: random.Random
    names: NameMaker

    def person(self, college: College | None, *roles: str) -> PersonSpec:
        gender = MALE if self.rng.random() < 0.5 else FEMALE
        name = self.names.person(gender)
        return PersonSpec(
            code="",
            kind=PersonKind.STAFF,
            name=name.text,
            gender=gender,
            wecom=self.names.account(name),
            college=college.name if college else None,
            phone=phone(self.rng),
            roles=list(roles),
        )

    def college(self, college: College, students: Sequence[PersonSpec]) -> CollegeStaff:
        classes = sorted({s.class_name or "" for s in students})
        special = math.ceil(len(students) * SPECIAL_SHARE)
        counsellors = max(2, len(students) // STUDENTS_PER_COUNSELLOR)
        mentors = max(3, special // SPECIAL_PER_MENTOR)
        staff = CollegeStaff(
            college=college,
            admin=self.person(college, Role.COLLEGE_ADMIN),
            counsellors=self._many(college, Role.COUNSELLOR, count=counsellors),
            class_teachers=self._many(college, Role.CLASS_TEACHER, count=max(1, len(classes) // 2)),
            mentors=self._many(college, Role.ACADEMIC_MENTOR, count=mentors),
        )
        # Some staff hold two roles: the first class teacher also mentors.
        staff.class_teachers[0].roles.append(Role.ACADEMIC_MENTOR)
        staff.mentors.append(staff.class_teachers[0])
        teachers = staff.class_teachers
        for index, class_name in enumerate(classes):
            staff.class_teacher_of[class_name] = teachers[index % len(teachers)]
        return staff

    def _many(self, college: College, role: str, *, count: int) -> list[PersonSpec]:
        return [self.person(college, role) for _ in range(count)]


def make_staff(
    maker: StaffMaker, *, colleges: Sequence[College], students: Sequence[PersonSpec]
) -> Staff:
    """Staff for every college plus the school offices, with codes T0001, T0002 …"""
    by_college = {
        c.name: maker.college(c, [s for s in students if s.college == c.name]) for c in colleges
    }
    staff = Staff(by_college, [maker.person(None, role) for role in SCHOOL_ROLES])
    _number(staff, maker.rng)
    return staff


def _number(staff: Staff, rng: random.Random) -> None:
    """T0001 school admin, T0002 counsellor, T0003 college admin, T0004 mentor, then the rest."""
    first = next(iter(staff.colleges.values()))
    ordered = [staff.school[0], first.counsellors[0], first.admin, first.mentors[0]]
    for college in staff.colleges.values():
        ordered += [p for p in college.everyone() if p not in ordered]
    ordered += [p for p in staff.school if p not in ordered]
    for number, person in enumerate(ordered, start=1):
        person.code = f"T{number:04d}"
        person.dingtalk = person.code if rng.random() < DINGTALK_SHARE else None
    staff.people = ordered
