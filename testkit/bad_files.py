"""Files that every upload endpoint must refuse with a clear message: (label, bytes,
status, a fragment of the message)."""

BAD_FILES: list[tuple[str, bytes, int, str]] = [
    ("empty", b"", 422, "empty"),
    ("blank", b"\n\n  \n", 422, "empty"),
    ("header only", b"comment_text,toxic\n", 422, "no data rows"),
    ("latin-1", "comment_text,toxic\ncaf\xe9 au lait,0\n".encode("latin-1"), 422, "line 2"),
    ("utf-16", "comment_text,toxic\nhi,0\n".encode("utf-16"), 422, "not utf-8"),
    ("png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), 422, "binary"),
    ("nul bytes", b"comment_text,toxic\nhi\x00there,0\n", 422, "binary"),
    ("ragged", b"a,b\n1,2\n3,4,5\n6\n", 422, "line 3"),
    ("unbalanced quote", b'a,b\n1,"oops\n2,3\n', 422, "quote"),
    ("duplicate header", b"a,a\n1,2\n", 422, "repeats"),
    ("unnamed column", b"a,,c\n1,2,3\n", 422, "no name"),
    # issue 13, class 1 and its neighbours: what the one CSV parser refuses
    ("blank header cell", b"a, ,c\n1,2,3\n", 422, "no name"),
    ("names repeated once trimmed", b"text, text\n1,2\n", 422, "repeats"),
    ("quoted names repeated once trimmed", b'"text"," text "\n1,2\n', 422, "repeats"),
    ("header only after blank lines", b"\n,,\ncomment_text,toxic\n", 422, "no data rows"),
    ("only commas", b",,\n , ,\n", 422, "no header"),
    ("semicolon-separated", b"comment_text;toxic\nhi;0\n", 422, "semicolons"),
    ("tab-separated", b"comment_text\ttoxic\nhi\t0\n", 422, "tabs"),
    ("windows-1252", "comment_text,toxic\n\u201chi\u201d,0\n".encode("cp1252"), 422, "line 2"),
    ("cut in a UTF-8 character", b"comment_text,toxic\nhi,0\n\xe2\x82", 422, "middle"),
    (
        "utf-16 without a BOM",
        "comment_text,toxic\nhi,0\n".encode("utf-16-le"),
        422,
        "utf-16 text without a byte order mark",
    ),
    ("ragged after a blank line", b"\na,b\n1,2\n3\n", 422, "line 4"),
    # other programs' files, named (not "binary", not "unbalanced quote")
    ("utf-32", "comment_text,toxic\nhi,0\n".encode("utf-32"), 422, "utf-32"),
    ("gzip", b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 422, "decompress it first"),
    ("xlsx", b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", 422, "export it as csv"),
    ("quoted, semicolon-separated", b'"comment_text";"toxic"\n"hi";"0"\n', 422, "semicolons"),
    ("Excel's sep=; line", b"sep=;\ncomment_text;toxic\nhi;0\n", 422, "'sep=;' hint"),
]
