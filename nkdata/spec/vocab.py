"""Controlled vocabularies: every term a categorical column may take, with its meaning.

Adding a term is a MINOR data change; removing or renaming one is MAJOR.
The data dictionary (docs/data-dictionary.md) and the Table Schemas' ``enum``
constraints and ``categories`` are generated from these dicts, so this is the only place to edit.
"""

from __future__ import annotations

METRIC: dict[str, str] = {
    "troops_deployed": "North Korean military personnel sent to Russia or the war, cumulative up to the date: 'sent', 'deployed', 'dispatched', whatever has happened to them since. Not a count in one place (troops_present) nor a plan (troops_planned).",
    "troops_additional": "Personnel sent in addition to an earlier deployment (reinforcements, replenishment, a new rotation).",
    "troops_planned": "Personnel a government has decided, agreed or is expected to send (in all or by a date) that have not all arrived.",
    "troops_possible": "Personnel a party says could be sent (a capability or a warning: 'they can bring', 'could grow to'), neither decided nor expected.",
    "troops_present": "Personnel said to be in a named place (e.g. Kursk) or fighting at the time stated, net of losses and rotation: 'are in', 'are fighting', 'currently'. Not the cumulative number sent.",
    "casualties": "Killed and wounded together (the source does not split them).",
    "killed": "Personnel killed.",
    "wounded": "Personnel wounded.",
    "captured": "Personnel taken prisoner.",
    "casualty_share": "Share of the deployed force lost to casualties.",
    "workers_deployed": "North Korean non-combat workers sent to Russia (labourers, specialists, or workers the source does not split further), cumulative.",
    "workers_planned": "Non-combat workers, engineers, deminers or builders a government has decided or is expected to send that have not all arrived.",
    "engineers_deployed": "Military engineers, sappers and deminers sent to Russia, cumulative.",
    "construction_troops_deployed": "Military construction troops (builders) sent to Russia to rebuild or build, cumulative.",
    "area_demined": "Area cleared of mines and explosives by North Korean deminers (unit: hectares).",
    "explosives_cleared": "Mines, shells and other explosive devices cleared by North Korean deminers (unit: items).",
    "wounded_repatriated": "Wounded personnel sent back to North Korea.",
    "remains_repatriated": "Dead personnel whose remains are returned to North Korea (e.g. coffins shown at a ceremony).",
    "shells_supplied": "Artillery shells and other ammunition rounds North Korea supplied to Russia, cumulative from the start of the supply (2023) unless the evidence says otherwise (unit: rounds).",
    "missiles_supplied": "Ballistic and other missiles North Korea supplied to Russia, cumulative unless the evidence says otherwise (unit: missiles).",
    "artillery_systems_supplied": "Artillery pieces and self-propelled guns (e.g. Koksan 170 mm) North Korea supplied (unit: systems).",
    "rocket_launchers_supplied": "Multiple rocket launchers (e.g. 240 mm) North Korea supplied (unit: systems).",
    "containers_shipped": "Shipping containers of munitions or weapons sent from North Korea to Russia (unit: containers).",
    "munitions_supplied": "Munitions and weapons together, when the source does not split them by kind ('shells, missiles and long-range weapons') (unit: items).",
    "munitions_share": "Share of Russia's ammunition or artillery shells that North Korea supplies (unit: percent).",
}

QUALIFIER: dict[str, str] = {
    "exact": "The number is stated without hedging (\"11,000\"). value = value_low = value_high.",
    "approximately": "Hedged with about/around/some/approximately/roughly, or nearly/almost (recorded as approximately, not as an upper bound). value set; bounds null unless stated.",
    "more_than": "\"More than\", \"over\", \"exceeds\", \"surpassed\". value = value_low = the stated number (exclusive); value_high null.",
    "at_least": "\"At least\", \"no fewer than\". value = value_low = the stated number (inclusive); value_high null.",
    "less_than": "\"Less than\", \"under\", \"fewer than\". value = value_high = the stated number (exclusive); value_low null.",
    "at_most": "\"At most\", \"up to\", \"no more than\". value = value_high = the stated number (inclusive); value_low null.",
    "range": "Two numbers (\"3,000 to 4,000\"). value null; value_low and value_high set, low <= high.",
}

UNIT: dict[str, str] = {
    "persons": "A count of people.",
    "percent": "A percentage (0-100) of a population or quantity named in the evidence.",
    "rounds": "Artillery shells or other ammunition rounds.",
    "missiles": "Missiles (ballistic, cruise or other).",
    "systems": "Weapon systems: guns, howitzers, rocket launchers.",
    "containers": "Shipping containers.",
    "hectares": "An area in hectares.",
    "items": "A count of objects of several kinds (munitions not split by kind, explosive devices).",
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
    "munitions_transfer": "Munitions or weapons are shipped or handed over from North Korea to Russia.",
    "agreement": "Governments sign or announce an agreement (treaty, pact) that bears on the deployment.",
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
    "munitions": "Shells, missiles and weapons North Korea supplies.",
    "labour": "North Korean workers, engineers, deminers and builders sent to Russia.",
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


def label(term: str) -> str:
    """A term as a reader would write it: ``troops_deployed`` -> ``Troops deployed``."""
    return term.replace("_", " ").capitalize()


def categories(vocabulary: str) -> list[dict[str, str]]:
    """The terms of ``vocabulary`` as a Table Schema v2 field's ``categories`` (value, label, definition).

    Data Package v2 defines ``value`` and ``label``; ``definition`` (the term's meaning) is an extra
    property, which the standard allows on any descriptor object, so that a tool that loads the
    categories has the definitions too.
    """
    return [{"value": term, "label": label(term), "definition": meaning} for term, meaning in VOCABULARIES[vocabulary].items()]
