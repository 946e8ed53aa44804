# Búsqueda en el espacio de trabajo (/agent/search) y el cuadro de búsqueda de cada página.
search-title = Buscar
search-label = Palabras, un número de ticket o una dirección de correo
search-go = Buscar
search-box = Buscar tickets, personas y artículos
search-hint = No importan las tildes ni las mayúsculas, y las formas de una palabra coinciden («impresoras» encuentra «impresora»). Deben aparecer todas las palabras.
search-tickets = Tickets
search-people = Personas
search-articles = Artículos de la base de conocimiento
search-none = No se encontró nada.
search-in-note = Nota interna
search-more = Se muestran solo los primeros 50: agregue una palabra para acotar la búsqueda.
