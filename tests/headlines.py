"""Headlines shared by the tests that need many alerts through the real pipeline."""

# Twelve different stories, each a match for a rule on "summit".
HEADLINES = [
    "Putin invites Zelensky to Moscow for a summit",
    "EU leaders gather in Brussels for an emergency summit on energy prices",
    "African Union summit opens in Addis Ababa with a call for ceasefire",
    "Climate summit ends without a deal on coal phase-out",
    "G20 finance ministers prepare for the Rio summit agenda",
    "NATO summit in Vilnius weighs Ukraine membership path",
    "Arab League summit condemns strikes on Gaza hospitals",
    "Tech giants skip the AI safety summit at Bletchley Park",
    "Pacific islands summit demands faster help after cyclone",
    "Korean peninsula summit talk revived by Seoul envoy visit",
    "Mercosur summit stalls over tariff dispute with Argentina",
    "ASEAN summit in Jakarta focuses on Myanmar crisis",
]
