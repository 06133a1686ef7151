/* SPDX-License-Identifier: Apache-2.0 */
/*
 * noop - exits 0.  The e2e tests copy it to paths of their own to have
 * programs with an identity (device, inode) and a name of their choosing
 * (the guests' /bin/true is a busybox applet, which refuses other names).
 */
int main(void)
{
	return 0;
}
