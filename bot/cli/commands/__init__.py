"""CLI commands of `harbor`, one module per area, each exporting a `COMMANDS` list."""
