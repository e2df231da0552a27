"""Date and number formats for the languages Django has no locale data for (Montenegrin)."""
