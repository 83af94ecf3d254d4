"""Helpers shared by the pages, by purpose (nothing is re-exported here):

session        the current user, her language and ``tr``; the one connection of a script run (``db``)
widgets        field widgets with their error lines (choice, text, date, block_picker), labeller
person_fields  the field sets of a caregiver and of a person cared for
formatting     labels, a person or a session on one line, a service's name, ``literal``
               (what someone typed, made to mean nothing inside markdown)
actions        the one way to write (``Form``, ``write``), refusable reads, confirmations,
               the page header and moving between pages

This folder is a package, not a page: Streamlit serves only the pages that
streamlit_app.py lists in st.navigation."""
