"""Platform-free domain logic: routing, conversations, commands and access decisions."""
