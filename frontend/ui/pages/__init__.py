"""One module per page, each with one `render()`."""
