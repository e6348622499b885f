#!/bin/sh
echo building alpha/bad name
