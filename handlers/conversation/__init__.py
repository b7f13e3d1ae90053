"""Understanding a message: router, command registry, form engine, answers and times."""
