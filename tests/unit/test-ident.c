/* SPDX-License-Identifier: MIT */
/* The name an ISO gives itself: .disk/info and .treeinfo as the distributions write them, and
 * hostile ones (bounded, printable, never empty). */
#include "ident.h"
#include "tap.h"
#include "util.h"

static void is(char *got, const char *want)
{
	if (!want)
		CHECK(got == NULL);
	else
		CHECK_STR(got ? got : "(null)", want);
	free(got);
}

#define DISK(text) ident_from_disk_info((text), strlen(text))
#define TREE(text) ident_from_treeinfo((text), strlen(text))

static void test_disk_info(void)
{
	is(DISK("Debian GNU/Linux 12.8.0 \"Bookworm\" - Official amd64 NETINST with firmware "
		"20241109-11:04"),
	   "Debian GNU/Linux 12.8.0 \"Bookworm\" - Official amd64 NETINST with firmware");
	is(DISK("Ubuntu 24.04.1 LTS \"Noble Numbat\" - Release amd64 (20240827)"),
	   "Ubuntu 24.04.1 LTS \"Noble Numbat\" - Release amd64");
	is(DISK("Kali GNU/Linux Rolling \"Kali-last-snapshot\" - Official amd64 LIVE/INSTALL "
		"Binary 20241201-12:00\n"),
	   "Kali GNU/Linux Rolling \"Kali-last-snapshot\" - Official amd64 LIVE/INSTALL Binary");
	is(DISK("Linux Mint 22 \"Wilma\" - Release amd64 20240718\r\n"),
	   "Linux Mint 22 \"Wilma\" - Release amd64");
	/* Only a stamp: kept rather than nothing. */
	is(DISK("20240101-00:00"), "20240101-00:00");
	/* Blanks squeezed, the first line only, nothing after a control byte. */
	is(DISK("  Lab \t  image  \nsecond line"), "Lab image");
	is(DISK("Lab\x1b[2J image"), "Lab");
	is(DISK(""), NULL);
	is(DISK("   \n"), NULL);
	is(DISK("\x01"), NULL);
	/* UTF-8 kept; a long line cut at a word, never inside a character. */
	is(DISK("Système de démonstration"), "Système de démonstration");
	char longl[400];
	memset(longl, 'a', sizeof(longl) - 1);
	longl[sizeof(longl) - 1] = '\0';
	char *s = DISK(longl);
	CHECK(s && strlen(s) == IDENT_MAX);
	free(s);
	char words[400] = "";
	for (int i = 0; i < 40; i++)
		strcat(words, "word ");
	s = DISK(words);
	CHECK(s && strlen(s) <= IDENT_MAX && s[strlen(s) - 1] == 'd');
	free(s);
	char utf[400] = "";
	for (int i = 0; i < 60; i++)
		strcat(utf, "é");
	s = DISK(utf);
	CHECK(s && strlen(s) <= IDENT_MAX && strlen(s) % 2 == 0);
	free(s);
}

static void test_treeinfo(void)
{
	/* productmd (Fedora 41 Server). */
	is(TREE("[header]\ntype = productmd.treeinfo\nversion = 1.2\n\n"
		"[release]\nname = Fedora\nshort = Fedora\nversion = 41\n\n"
		"[tree]\narch = x86_64\nbuild_timestamp = 1729000000\nplatforms = x86_64,xen\n"
		"variants = Server\n\n"
		"[general]\narch = x86_64\nfamily = Fedora\nname = Fedora 41\nplatforms = x86_64\n"
		"timestamp = 1729000000\nvariant = Server\nversion = 41\n"),
	   "Fedora 41 Server x86_64");
	/* RHEL 9, CRLF. */
	is(TREE("[general]\r\nfamily = Red Hat Enterprise Linux\r\nversion = 9.4\r\narch = "
		"x86_64\r\n[release]\r\nname = Red Hat Enterprise Linux\r\nversion = 9.4\r\n"),
	   "Red Hat Enterprise Linux 9.4 x86_64");
	/* The older [general] alone. */
	is(TREE("[general]\nfamily=CentOS\nversion=7\narch=x86_64\nvariant=\n"), "CentOS 7 x86_64");
	/* A key of another section or a key that only starts the same is not it. */
	is(TREE("[images-x86_64]\nname = x\n[release]\nnames = y\n"), NULL);
	is(TREE("[release]\nversion = 41\n"), NULL);
	is(TREE(""), NULL);
	is(TREE("[release\nname = x\n"), NULL);
	is(TREE("[release]\nname =\n"), NULL);
	is(TREE("[release]\nname = A\x01B\n"), "A");
}

int main(void)
{
	RUN(test_disk_info);
	RUN(test_treeinfo);
	return tap_done();
}
