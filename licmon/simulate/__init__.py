"""``licmon simulate``: labelled honest and abusive traffic through a real licmon over HTTP,
and the precision and recall of each detector."""
