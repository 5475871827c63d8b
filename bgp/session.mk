# bgp/: sessions, FSM and the speaker API (see bgp/local.mk for the wire/RIB half)
