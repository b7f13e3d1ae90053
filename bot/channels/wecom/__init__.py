"""WeCom (企业微信): signed, encrypted callbacks in, the server API out."""
