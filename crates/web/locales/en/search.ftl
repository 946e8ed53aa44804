# Search across the workspace (/agent/search) and the search box of every agent page.
search-title = Search
search-label = Words, a ticket number or an e-mail address
search-go = Search
search-box = Search tickets, people and articles
search-hint = Accents and capitals do not matter, and related forms of a word match ("impresoras" finds "impresora"). Every word must appear.
search-tickets = Tickets
search-people = People
search-articles = Knowledge-base articles
search-none = Nothing found.
search-in-note = Internal note
search-more = Only the first 50 are shown: add a word to narrow the search.
