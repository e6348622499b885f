#!/bin/sh
echo building t/both
