# gatewar: the server-level error handler answers in JSON.

[description]
Errors that Jetty answers before any web application sees the request (a request line or header
block the HTTP parser refuses, an ambiguous URI, a URI or header block that is too long, a request
for a path no context serves) are written as JSON instead of Jetty's HTML page, without stack
traces or causes. A client that asks for text/html or text/plain in Accept still gets that.
Errors inside the gateway's context are answered by the WAR's own <error-page>.

[tags]
gatewar

[depend]
server

[xml]
etc/gatewar-errors.xml
