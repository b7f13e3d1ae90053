"""Case files (档案 / 一生一策): view and edit by section, the 摸排 walk-through, closing."""
