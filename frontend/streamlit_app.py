"""The Streamlit entry point: page setup and navigation, nothing else."""

import streamlit as st

from ui.logging import configure_logging
from ui.navigation import all_pages
from ui.settings import get_settings

settings = get_settings()
configure_logging(settings.logs_dir, settings.log_level)
st.set_page_config(page_title="Text classification", page_icon=":material/label:", layout="wide")
# expanded: every page in the sidebar (by default Streamlit shows 10, the rest behind "View more")
st.navigation(all_pages(), expanded=True).run()
