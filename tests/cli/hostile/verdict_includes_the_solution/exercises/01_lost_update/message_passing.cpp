// A hostile submission (test data for the grader's verdicts): it includes the instructor's
// reference solution through the grader's include path. It must be rejected.
#include "../../solutions/01_lost_update/message_passing.cpp"
