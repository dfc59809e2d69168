"""Pure computations behind the pages (no Streamlit, no HTTP), so they can be unit tested."""
