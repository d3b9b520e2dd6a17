"""Writes the data behind send windows (SENDING.md section 2), run by `cargo xtask holidays`:

- domain/data/holidays.tsv: `country<TAB>YYYY-MM-DD<TAB>name`, the national public holidays,
  2020-2035, from the `holidays` package (PyPI, version pinned by the caller) of every country of
  zone.tab the package has a calendar for (the 103 most populous countries below must all be among
  them), observed substitute days included where the package lists them; two holidays on one date
  share a line, their names joined by "; ".
- domain/data/zone_countries.tsv: `zone<TAB>country` from tzdata's zone.tab, and every link of
  tzdata.zi whose target has a country (`Asia/Calcutta` as `Asia/Kolkata`).

Usage: holiday_data.py ZONEINFO_DIR OUT_DIR
"""

import sys
from pathlib import Path

import holidays

# The 103 most populous countries and territories with a national calendar (UN World Population
# Prospects 2024, by population), as ISO 3166-1 alpha-2 codes.
COUNTRIES = (
    "IN CN US ID PK NG BR BD RU ET MX JP EG PH CD VN IR TR DE TH GB TZ FR ZA IT KE MM CO KR SD "
    "UG ES DZ IQ AR AF YE CA PL MA AO UA UZ MY MZ GH PE SA MG CI NP CM VE NE AU KP SY ML BF TW "
    "LK MW ZM KZ CL TD RO SO SN GT NL EC KH ZW GN BJ RW BI BO TN SS HT BE JO DO CU AE HN CZ SE "
    "TJ PG PT AZ GR HU TG IL AT BY CH SL LA"
).split()
YEARS = range(2020, 2036)


def holiday_lines(countries):
    for country in sorted(countries):
        # National only: no subdivision, the package's default categories (public holidays).
        calendar = holidays.country_holidays(country, years=YEARS, language="en_US")
        for date in sorted(calendar):
            names = "; ".join(calendar.get_list(date))
            yield f"{country}\t{date.isoformat()}\t{names}"


def zone_countries(zoneinfo: Path):
    countries = {}
    for line in (zoneinfo / "zone.tab").read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        code, _coordinates, zone, *_ = line.split("\t")
        countries[zone] = code
    for line in (zoneinfo / "tzdata.zi").read_text().splitlines():
        if line.startswith("L "):
            _, target, link = line.split()
            if target in countries and link not in countries:
                countries[link] = countries[target]
    return countries


def main():
    zoneinfo, out = Path(sys.argv[1]), Path(sys.argv[2])
    supported = holidays.list_supported_countries()
    missing = [country for country in COUNTRIES if country not in supported]
    if missing:
        sys.exit(f"the holidays package has no calendar for {missing}")
    # Every country of the list must also be a zone's country, or it could never be looked up.
    zones = zone_countries(zoneinfo)
    with_calendar = {country for country in zones.values() if country in supported}
    unreachable = sorted(set(COUNTRIES) - with_calendar)
    if unreachable:
        sys.exit(f"no zone of zone.tab is in {unreachable}")
    (out / "holidays.tsv").write_text("\n".join(holiday_lines(with_calendar)) + "\n")
    lines = [f"{zone}\t{zones[zone]}" for zone in sorted(zones)]
    (out / "zone_countries.tsv").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
