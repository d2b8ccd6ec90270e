"""Controlled vocabularies: every term a categorical column may take, with its meaning.

Adding a term is a MINOR data change; removing or renaming one is MAJOR.
The data dictionary (docs/data-dictionary.md) and the Table Schemas' ``enum``
constraints are generated from these dicts, so this is the only place to edit.
"""

from __future__ import annotations

METRIC: dict[str, str] = {
    "troops_deployed": "North Korean military personnel sent to Russia or the war, cumulative, as stated.",
    "troops_additional": "Personnel sent in addition to an earlier deployment (reinforcements, replenishment).",
    "troops_planned": "Personnel a government has decided or is expected to send but that have not all arrived.",
    "casualties": "Killed and wounded together (the source does not split them).",
    "killed": "Personnel killed.",
    "wounded": "Personnel wounded.",
    "captured": "Personnel taken prisoner.",
    "casualty_share": "Share of the deployed force lost to casualties.",
    "workers_deployed": "Non-combat personnel sent (engineers, deminers, builders, labourers).",
    "troops_present": "Personnel said to be in a place or fighting at the time stated (net of losses), not the cumulative number sent.",
    "wounded_repatriated": "Wounded personnel sent back to North Korea.",
    "remains_repatriated": "Dead personnel whose remains are returned to North Korea (e.g. coffins shown at a ceremony).",
}

QUALIFIER: dict[str, str] = {
    "exact": "The number is stated without hedging (\"11,000\"). value = value_low = value_high.",
    "approximately": "Hedged with about/around/some/approximately/roughly. value set; bounds null unless stated.",
    "more_than": "\"More than\", \"over\", \"exceeds\", \"surpassed\". value = value_low = the stated number (exclusive); value_high null.",
    "at_least": "\"At least\", \"no fewer than\". value = value_low = the stated number (inclusive); value_high null.",
    "less_than": "\"Less than\", \"under\", \"fewer than\". value = value_high = the stated number (exclusive); value_low null.",
    "at_most": "\"At most\", \"up to\", \"no more than\". value = value_high = the stated number (inclusive); value_low null.",
    "range": "Two numbers (\"3,000 to 4,000\"). value null; value_low and value_high set, low <= high.",
}

UNIT: dict[str, str] = {
    "persons": "A count of people.",
    "percent": "A percentage (0-100) of a population named in the evidence.",
}

DATE_PRECISION: dict[str, str] = {
    "day": "A single day: date_start = date_end.",
    "part_of_month": "Early (1-10), mid (11-20) or late (21-end) of one month; the interval is exactly that part.",
    "month": "A calendar month: first to last day.",
    "year": "A calendar year: 1 January to 31 December.",
    "interval": "Any other explicit interval (\"between X and Y\", \"since X\" up to a known day); start <= end.",
}

ENTITY_KIND: dict[str, str] = {
    "person": "A named individual.",
    "unnamed_source": "A person or group the text quotes without naming (\"a Pyongyang source\").",
    "government": "A state's government or authorities as a whole.",
    "government_agency": "A ministry, intelligence service, or other state body.",
    "armed_force": "A military, or a part of one (army, unit, troops of a country).",
    "political_party": "A political party.",
    "news_outlet": "A publisher of news: newspaper, agency, broadcaster, website.",
    "country": "A sovereign state.",
    "place": "A region, city, front line or other location below the country level.",
}

EVENT_TYPE: dict[str, str] = {
    "deployment": "Troops or personnel are sent to Russia or the front.",
    "reinforcement": "Additional troops are sent to replace losses or add strength.",
    "withdrawal": "Troops are pulled back from a front or an area.",
    "casualty_assessment": "A party makes or relays an estimate of casualties.",
    "internal_report": "Reports circulate inside a government or army (not published).",
    "countermeasure_considered": "A government considers or prepares a measure in response to a problem.",
    "weapons_test_expected": "A party assesses that a weapons test (e.g. nuclear) may happen.",
    "acknowledgement": "A government officially acknowledges a fact it had not confirmed.",
    "deployment_decision": "A government decides, orders or agrees to send troops or personnel who have not yet been sent.",
    "capture": "Soldiers are taken prisoner.",
    "repatriation": "Wounded personnel or the remains of the dead are returned to North Korea.",
}

STATEMENT_KIND: dict[str, str] = {
    "direct_quote": "The speaker's own words inside quotation marks in the source; text is the quoted words.",
    "reported": "A claim the source attributes to someone without quoting them; text is the reporting sentence.",
}

TOPIC: dict[str, str] = {
    "casualties": "Killed, wounded or lost personnel.",
    "deployment": "Sending, numbers or location of troops.",
    "reinforcement": "Replenishing or adding troops.",
    "morale": "Fear, stress, psychological state of soldiers.",
    "loyalty": "Ideological reliability, desertion, defection risk.",
    "cooperation": "Relations and coordination between North Korean and Russian forces or states.",
    "concealment": "Efforts to hide the deployment or its losses.",
    "conscription": "Call-up and attempts to avoid it.",
    "combat_role": "How troops are used in combat and their effect on the war.",
    "capture": "Capture of soldiers, and orders or measures about it.",
    "nuclear": "Nuclear weapons and tests.",
    "countermeasures": "Steps a government takes in response to problems with the deployment.",
}

TEXT_KIND: dict[str, str] = {
    "full": "The archived text is the whole text of the source as published.",
    "excerpt": "The archived text holds only the passages used, copied verbatim from the source.",
}

VOCABULARIES: dict[str, dict[str, str]] = {
    "metric": METRIC,
    "qualifier": QUALIFIER,
    "unit": UNIT,
    "date_precision": DATE_PRECISION,
    "entity_kind": ENTITY_KIND,
    "event_type": EVENT_TYPE,
    "statement_kind": STATEMENT_KIND,
    "topic": TOPIC,
    "text_kind": TEXT_KIND,
}
