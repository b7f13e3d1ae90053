"""DingTalk (钉钉): robot callbacks and Stream mode in, robot 1:1 sends and session webhooks out."""
