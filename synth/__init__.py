"""Synthetic collection-form data set (合成采集表数据): see docs/synthetic_data.md.

* ``synth.distributions`` — the shares and pools the generator draws from (data, with reasons);
* ``synth.companies`` — the business registry (工商), ``make_registry``;
* ``synth.people`` — the clean population (archive records, study and work history), ``make_population``;
* ``synth.feeds_files`` — the four bulk feed files, ``write_feeds``;
* ``synth.dirt`` / ``synth.writers`` — dirt injection and landing files; ``synth.generate`` runs it all;
* ``synth.feed_service`` — the HTTP feed simulator; ``synth.score`` — scoring an export against the truth.

This package may import ``archives_domain`` and ``seeds``; nothing in the system imports it.
"""
