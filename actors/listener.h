/*
 * The listener actor (actors/listener.c): the server side of the wire.
 * Configure it with Petrel__ListenerConfig (proto/transport.proto); it
 * answers Petrel__ListenerReady once bound.
 */
#ifndef LISTENER_H
#define LISTENER_H

#include "actor.h"

extern const struct actor_type listener_actor;

#endif /* LISTENER_H */
