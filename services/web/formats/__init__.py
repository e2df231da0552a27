"""Date and number formats Django lacks: Montenegrin, and English written the European way."""
