/*  A program built against an installed zown: one owner, one add.  */
#include <zown.h>
#include <stdio.h>

int
main (void)
{
    zown_owner_t *owner = zown_owner_new ("consumer");
    zown_client_t *client = owner ? zown_client_new (zown_owner_inproc (owner)) : NULL;
    zown_value_t *counter = client ? zown_value_new (client, "n") : NULL;
    int64_t now = 0;
    int rc = !counter || zown_value_add (counter, 42, &now) || now != 42;
    printf ("consumer: %s\n", rc ? zown_strerror (zown_errno ()) : "ok");
    zown_value_destroy (&counter);
    zown_client_destroy (&client);
    zown_owner_destroy (&owner);
    return rc;
}
