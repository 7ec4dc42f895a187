/*
 * The main of every check program: runs the one suite named by SUITE_FN
 * (set per program in the mk/ fragments), honouring CK_RUN_CASE, CK_FORK
 * and the other CK_ variables, and exits non-zero when a test failed.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>

Suite	*SUITE_FN(void);

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(SUITE_FN());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
