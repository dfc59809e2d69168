"""The Streamlit frontend: pages, the API client, and the pure computations behind EDA."""
