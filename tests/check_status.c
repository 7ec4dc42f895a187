#include "config.h"
#include <check.h>
Suite *status_suite(void);
Suite *status_suite(void) { return (suite_create("status")); }
