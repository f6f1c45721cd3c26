"""Style transfer and variations that rewrite a part in another style, keeping its harmony."""
