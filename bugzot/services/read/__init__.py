"""The read side of the services: queries that pages, exports and the REST API share.

Nothing here writes. Loaders take many ids and run a constant number of statements;
``visibility`` decides what the user may see in every one of them.

* ``bugs``       bugs, people, CC, comments, attachments, history, relations (batch)
* ``bug_page``   everything the bug page (and the mid-air page) shows, assembled
* ``dashboard``  the logged-in start page: my bugs, as bug list queries
* ``catalogue``  classifications, products and their names, open-bug counts
* ``users``      finding users and roles (admin pages, forms, autocompletion)
"""
